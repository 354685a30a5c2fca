// Text: tokenizer, datasets and metrics (issue 3).
public enum TextModule {}
