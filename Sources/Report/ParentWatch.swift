import Foundation

/// A stage of `binarybert report` dies with the report: when the parent named by BINARYBERT_PARENT_PID is gone
/// (killed, even by SIGKILL), the child notices within a second and kills itself, so a resumed report never races
/// an orphan writing the same files.
public enum ParentWatch {
    public static func start() {
        guard let text = ProcessInfo.processInfo.environment[StageRunner.parentVariable], let parent = pid_t(text) else { return }
        if getppid() != parent { kill(getpid(), SIGKILL) }
        let thread = Thread {
            while true {
                sleep(1)
                if getppid() != parent { kill(getpid(), SIGKILL) }
            }
        }
        thread.start()
    }
}
