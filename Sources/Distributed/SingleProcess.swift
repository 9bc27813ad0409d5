import Foundation

/// The process group of one process: rank 0 of 1, every collective a copy.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }

    public func allgatherBytes(_ local: UnsafeRawBufferPointer, byteCounts: [Int], into output: UnsafeMutableRawBufferPointer) {
        precondition(byteCounts == [local.count] && output.count == local.count,
                     "SingleProcess.allgatherBytes: \(local.count) bytes, counts \(byteCounts), output \(output.count)")
        output.copyMemory(from: local)
    }

    public func barrier() {}

    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }
}
