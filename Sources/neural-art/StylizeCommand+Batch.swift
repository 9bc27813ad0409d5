import ArgumentParser
import Distributed
import Foundation
import ImageIO

/// `stylize` over several content files (`--content` repeated, or a folder) into `--output-dir`,
/// the files shared among the ranks of an `mpirun` job.
extension StylizeCommand {
    /// Whether this run paints several pictures into `--output-dir`.
    var isBatch: Bool {
        outputDir != nil || content.count > 1 || content.contains { isDirectory($0) }
    }

    /// The content files, in order: each `--content` file, and each folder's PNG and JPEG files
    /// sorted by name. Throws `CLIError` for an empty folder or two files of the same name.
    func batchContentFiles() throws -> [String] {
        var files: [String] = []
        for item in content {
            guard isDirectory(item) else { files.append(item); continue }
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: item) } catch {
                throw CLIError("cannot list the folder '\(item)': \((error as NSError).localizedDescription)")
            }
            let pictures = names.filter { ImageFile.Format(pathExtensionOf: $0) != nil && !$0.hasPrefix(".") }.sorted()
            guard !pictures.isEmpty else { throw CLIError("the folder '\(item)' holds no .png, .jpg or .jpeg files") }
            files += pictures.map { (item as NSString).appendingPathComponent($0) }
        }
        var seen: [String: String] = [:]
        for f in files {
            let stem = Self.stem(f)
            if let other = seen[stem] {
                throw CLIError("'\(other)' and '\(f)' would both be written as '\(stem)' in --output-dir; rename one")
            }
            seen[stem] = f
        }
        return files
    }

    /// `photos/cat.jpg` → `cat`.
    static func stem(_ path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// Paints every content file into `--output-dir`. Under mpirun each rank paints its share
    /// (`ProcessGroup.share`, in file order); a file that fails is reported by its rank with one
    /// line and the others go on; rank 0 prints the summary, and the exit status is 1 if any failed.
    func stylizeBatch() throws {
        let files = try batchContentFiles()
        let dir = outputDir!
        let ext = (output as NSString).pathExtension
        let outputs = files.map { (dir as NSString).appendingPathComponent(Self.stem($0) + "." + ext) }
        for (f, o) in zip(files, outputs) where sameFile(f, o) {
            throw CLIError("--output-dir '\(dir)' would overwrite the --content image '\(f)'; choose another folder")
        }
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw CLIError("cannot create --output-dir '\(dir)': \((error as NSError).localizedDescription)")
        }
        let processes = Job.processes, root = Job.isRoot
        let mine = processes.share(of: files.count)
        let start = Date()
        var failed = 0
        for i in mine {
            do {
                // Rank 0 shows its progress; the others say only what they wrote.
                try stylize(contentPath: files[i], output: outputs[i], log: nil, quiet: io.quiet || !root)
                if !io.quiet && !root {
                    FileHandle.standardError.write(Data("rank \(processes.rank): wrote \(outputs[i])\n".utf8))
                }
            } catch {
                failed += 1
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            }
        }
        let counts = processes.allgather([failed, mine.count], counts: Array(repeating: 2, count: processes.size))
        let totalFailed = stride(from: 0, to: counts.count, by: 2).map { counts[$0] }.reduce(0, +)
        if root && !io.quiet {
            print("stylized \(files.count - totalFailed) of \(files.count) pictures into \(dir)"
                  + (processes.size > 1 ? " on \(processes.size) processes" : "")
                  + String(format: " (%.1f s)", Date().timeIntervalSince(start)))
        }
        if totalFailed > 0 { throw ExitCode.failure }
    }
}

/// Whether `path` names a folder (following symbolic links).
func isDirectory(_ path: String) -> Bool {
    var directory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
}
