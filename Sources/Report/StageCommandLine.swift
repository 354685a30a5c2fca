/// How the `binarybert` command line spells a stage's command (the CLI owns every flag name): the arguments that
/// run it, and the command that arguments recorded by an earlier run (a stage marker's) stand for.
public protocol StageCommandLine: Sendable {
    /// The arguments of `binarybert` that run `command`: on `threads` threads when given (and the command takes
    /// them), continuing an interrupted run when `resume`.
    func arguments(_ command: StageCommand, threads: Int?, resume: Bool) -> [String]
    /// `arguments(_:threads:resume:)`, and for a distillation the folder its teacher's targets are shared in
    /// (`quantize --teacher-cache`), when given: a run option like the threads, no part of the command.
    func arguments(_ command: StageCommand, threads: Int?, resume: Bool, teacherCache: String?) -> [String]
    /// The command `arguments` run, and those arguments without the options of one run (threads, resume).
    func parse(_ arguments: [String]) throws -> (command: StageCommand, arguments: [String])
}

extension StageCommandLine {
    /// A command line without a teacher cache option runs every stage without one.
    public func arguments(_ command: StageCommand, threads: Int?, resume: Bool, teacherCache: String?) -> [String] {
        arguments(command, threads: threads, resume: resume)
    }
}
