import BERT
import Foundation
import Storage

extension ReportPlan {
    /// sha256 of the spec and of every stage's id, command and inputs: what a workflow written from this plan runs.
    /// Two plans with the same hash run the same commands in the same dependency order and collect the same report.
    public func hash() throws -> String {
        struct Stage: Encodable { var id: String; var command: StageCommand; var inputs: [String] }
        var sha = SHA256()
        let encoder = JSONFormat.encoder(pretty: false)
        sha.update(try encoder.encode(spec))
        for stage in stages {
            sha.update(Data("\n".utf8))
            sha.update(try encoder.encode(Stage(id: stage.id, command: stage.command, inputs: stage.inputs)))
        }
        return sha.finalize()
    }
}
