import ArgumentParser

/// Options whose checks (`check()`, often a library job's own `validate()`) run before any work: whatever they refuse
/// is a usage error (exit 64, the sentence and the usage text), whichever module's error carries the sentence.
protocol CheckedArguments: ParsableArguments {
    func check() throws
}

extension CheckedArguments {
    func validate() throws {
        do { try check() } catch let error as ValidationError { throw error } catch { throw ValidationError(String(describing: error)) }
    }
}
