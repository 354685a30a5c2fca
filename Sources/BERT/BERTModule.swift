import Numerics
// BERT: model, layers, checkpoints.
