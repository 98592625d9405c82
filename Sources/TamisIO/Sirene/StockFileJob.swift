import TamisCore
#if canImport(Glibc)
import Glibc
#endif

/// What one import job reads: a whole stock file (zipped or small), or a part of a big plain
/// one, from just after a line break to just after another.
struct StockFilePart {
    /// The file's position among those given.
    var file: Int
    /// 0 for a whole file or its first part.
    var segment = 0
    /// The bytes to read; nil: the whole file, as a stream (zips too).
    var range: Range<Int>?
    /// Where the header line ends (a later part reads it first, for the columns).
    var headerEnd = 0
    var isLast = true
    /// How many bytes the job reads (to start the biggest jobs first).
    var bytes: Int

    static let maximumParts = 64

    init(file: Int, bytes: Int) {
        self.file = file
        self.bytes = bytes
    }

    /// The parts of `files`: a plain file over 1.5 × `segmentSize` is cut after line breaks
    /// into parts of about `segmentSize`, at most 64 parts in all (each holds index buckets in
    /// memory, and a job's position, kept in a byte, orders its rows). A cut that falls inside
    /// a quoted field is found when the part before it does not end between rows, and that
    /// file is then read again whole.
    static func plan(files: [String], segmentSize: Int) -> [StockFilePart] {
        var parts: [StockFilePart] = []
        for (index, path) in files.enumerated() {
            let size = FileByteReader.size(of: path)
            let whole = StockFilePart(file: index, bytes: size)
            guard ParallelLoop.threadCount > 1, segmentSize > 0, size > segmentSize + segmentSize / 2, !ZipEntryStream.isZip(path),
                  let reader = try? FileByteReader(path: path, chunkSize: 1 << 16),
                  let headerEnd = reader.lineBreak(after: 0) else {
                parts.append(whole)
                continue
            }
            let count = min(max(2, (size + segmentSize / 2) / segmentSize), max(1, StockFilePart.maximumParts - parts.count - (files.count - index - 1)))
            var starts = [headerEnd]
            for k in 1..<max(1, count) {
                guard let start = reader.lineBreak(after: size / count * k), start < size else { break }
                if start > starts.last! { starts.append(start) }  // not within the header or the part before
            }
            if starts.count == 1 {
                parts.append(whole)
                continue
            }
            for (k, start) in starts.enumerated() {
                let end = k + 1 < starts.count ? starts[k + 1] : size
                var part = StockFilePart(file: index, bytes: end - (k == 0 ? 0 : start))
                part.segment = k
                part.range = (k == 0 ? 0 : start)..<end
                part.headerEnd = headerEnd
                part.isLast = k + 1 == starts.count
                parts.append(part)
            }
        }
        return parts
    }
}

/// One stock file, or part of one, read into its own heap and index buckets.
final class StockFileJob: @unchecked Sendable {
    let part: StockFilePart
    let file: String
    /// The job's position in file order: it orders the rows of different jobs (a later row wins).
    let index: Int
    let heap: BufferedFileWriter
    let heapStart: Int
    let scratch: String
    /// Where this job's heap starts in the register's records (set once all are read).
    var base = 0
    private(set) var identifiers: PairBuckets?
    private(set) var kind: SireneImport.Kind?
    private(set) var latest: [UInt8] = []
    private(set) var rows = 0
    private(set) var skipped = 0
    /// Lines here are the part's own (for a later part, the header is its line 1): see `reports`.
    private(set) var firstSkippedLine: Int?
    private(set) var lastLine = 0
    /// Line breaks read in the part's bytes (the header's excluded for a later part).
    private(set) var lines = 0
    private(set) var endsAtRowStart = true
    private(set) var lastRowBroken = false
    private(set) var error: InputError?

    init(part: StockFilePart, file: String, index: Int, heap: BufferedFileWriter, heapStart: Int, scratch: String) {
        self.part = part
        self.file = file
        self.index = index
        self.heap = heap
        self.heapStart = heapStart
        self.scratch = scratch
    }

    func run(progress: ProgressGate) {
        var loader = StockLoader(file: file, records: heap, recordsStart: heapStart, scratch: scratch + ".index\(index)")
        var parser = CSVParser(dialect: CSVDialect(delimiter: UInt8(ascii: ",")))
        var bytes = 0, startLine = 1
        func feed(_ chunk: UnsafeBufferPointer<UInt8>) throws {
            parser.parse(chunk, into: &loader)
            if let failure = loader.failure { throw failure }
            bytes += chunk.count
            if loader.rows - loader.reportedRows >= 1_000_000 {
                loader.reportedRows = loader.rows
                progress.report(job: index, rows: loader.rows, bytes: bytes)
            }
        }
        do {
            if let range = part.range {
                let reader = try FileByteReader(path: file)
                if part.segment > 0 {
                    // The header first: columns are read by name.
                    try reader.forEachChunk(in: 0..<part.headerEnd) { parser.parse($0, into: &loader) }
                    startLine = parser.currentLine
                }
                try reader.forEachChunk(in: range, feed)
            } else if ZipEntryStream.isZip(file) {
                try ZipEntryStream(path: file).forEachChunk(feed)
            } else {
                try FileByteReader(path: file).forEachChunk(feed)
            }
            if part.isLast {
                parser.finish(into: &loader)
            } else {
                endsAtRowStart = parser.isAtRowStart
            }
            if let failure = loader.failure { throw failure }
            if loader.kind == nil {
                throw InputError(file: file, problem: "the file is empty", hint: "expected a SIRENE stock file with its header row")
            }
        } catch let error as InputError {
            self.error = error
        } catch {
            self.error = InputError(file: file, problem: "\(error)")
        }
        progress.report(job: index, rows: loader.rows, bytes: bytes, done: true)
        lines = parser.currentLine - startLine
        identifiers = loader.identifiers
        kind = loader.kind
        latest = loader.latest
        (rows, skipped, firstSkippedLine, lastLine, lastRowBroken) =
            (loader.rows, loader.skipped, loader.firstSkippedLine, loader.lastLine, part.isLast && loader.lastRowBroken)
    }

    /// One report per file from its jobs (in order), with the parts' lines made the file's;
    /// throws the first failure, or a truncated file, with the line and row reached in the file.
    static func reports(_ jobs: [StockFileJob]) throws -> [SireneImport.FileReport] {
        var reports: [SireneImport.FileReport] = []
        var linesBefore = 0, rowsBefore = 0
        for (n, job) in jobs.enumerated() {
            if n == 0 || jobs[n - 1].part.file != job.part.file { (linesBefore, rowsBefore) = (0, 0) }
            // A later part's line r is the file's line r - 1 + the line breaks before the part.
            let shift = job.part.segment == 0 ? 0 : linesBefore - 1
            let rows = rowsBefore + job.rows
            if var error = job.error {
                error.line = error.line.map { $0 + shift }
                if rows > 0 { error.problem += " — \(rows) rows read (row \(rows) reached, line \(job.lastLine + shift))" }
                throw error
            }
            if job.lastRowBroken {
                throw InputError(file: job.file, line: job.lastLine + shift,
                                 problem: "the file ends in the middle of a row (truncated download?) — \(rows) rows read",
                                 hint: "download the stock file again; the previous register is left in place")
            }
            let skippedLine = job.firstSkippedLine.map { $0 + shift }
            if job.part.segment == 0 {
                reports.append(SireneImport.FileReport(file: job.file, kind: job.kind!, rows: job.rows, skipped: job.skipped,
                                                       firstSkippedLine: skippedLine))
            } else {
                reports[reports.count - 1].rows += job.rows
                reports[reports.count - 1].skipped += job.skipped
                reports[reports.count - 1].firstSkippedLine = reports[reports.count - 1].firstSkippedLine ?? skippedLine
            }
            linesBefore += job.lines
            rowsBefore = rows
        }
        return reports
    }
}

/// Hands progress from the reading threads to the caller's closure one at a time, per file:
/// the rows and bytes of its parts added up, a line each million rows and one when the file
/// is read.
final class ProgressGate: @unchecked Sendable {
    private let progress: SireneImport.Progress
    private let files: [String]
    private let fileOfJob: [Int]
    private let sizes: [Int]
    private var rows: [Int], bytes: [Int], done: [Bool]
    private var reportedMillions: [Int]
    private var lock = pthread_mutex_t()

    init(_ progress: @escaping SireneImport.Progress, files: [String], jobs: [StockFileJob]) {
        self.progress = progress
        self.files = files
        fileOfJob = jobs.map(\.part.file)
        var sizes = [Int](repeating: 0, count: files.count)
        for job in jobs { sizes[job.part.file] += job.part.bytes }  // a file's parts cover it
        self.sizes = sizes
        rows = [Int](repeating: 0, count: jobs.count)
        bytes = [Int](repeating: 0, count: jobs.count)
        done = [Bool](repeating: false, count: jobs.count)
        reportedMillions = [Int](repeating: 0, count: files.count)
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    func report(job: Int, rows jobRows: Int, bytes jobBytes: Int, done jobDone: Bool = false) {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        guard job < rows.count else { return }
        rows[job] = jobRows
        bytes[job] = jobBytes
        done[job] = jobDone
        let file = fileOfJob[job]
        var fileRows = 0, fileBytes = 0, fileDone = true
        for (j, f) in fileOfJob.enumerated() where f == file {
            fileRows += rows[j]
            fileBytes += bytes[j]
            fileDone = fileDone && done[j]
        }
        let millions = fileRows / 1_000_000
        guard fileDone || millions > reportedMillions[file] else { return }
        reportedMillions[file] = millions
        progress(files[file], fileRows, fileDone ? sizes[file] : min(fileBytes, sizes[file]), sizes[file])
    }
}
