#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body(0..<count)` on all cores with plain POSIX threads (the core stays free of
/// Foundation and Dispatch). Each index runs exactly once; the call returns when all are done.
public enum ParallelLoop {
    public static var threadCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// `body(i)` for every `i` in `0..<count`, on all cores, in chunks; results in order.
    public static func map<T>(_ count: Int, chunk: Int = 4096, filling initial: T, _ body: @escaping (Int) -> T) -> [T] {
        var results = [T](repeating: initial, count: count)
        results.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedBuffer(buffer)
            run(count, chunk: chunk) { range in
                for i in range { shared.buffer[i] = body(i) }
            }
        }
        return results
    }

    /// `body(range)` for consecutive ranges of `chunk` indices covering `0..<count`, on all cores.
    public static func run(_ count: Int, chunk: Int, _ body: @escaping (Range<Int>) -> Void) {
        run((count + chunk - 1) / chunk) { c in body((c * chunk)..<min(count, (c + 1) * chunk)) }
    }

    /// The same, each thread with a `State` of its own made by `makeState`, kept across the
    /// chunks it takes (a cache of results for values that repeat).
    public static func run<State>(_ count: Int, chunk: Int, state makeState: @escaping () -> State,
                                  _ body: @escaping (inout State, Range<Int>) -> Void) {
        let chunks = (count + chunk - 1) / chunk
        let next = ChunkCounter(count: chunks)
        run(min(threadCount, chunks)) { _ in
            var state = makeState()
            while let c = next.take() { body(&state, (c * chunk)..<min(count, (c + 1) * chunk)) }
        }
    }

    public static func run(_ count: Int, _ body: @escaping (Int) -> Void) {
        let threads = min(threadCount, count)
        if threads <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        final class Work: @unchecked Sendable {
            let indices: ChunkCounter
            let body: (Int) -> Void
            init(count: Int, body: @escaping (Int) -> Void) {
                indices = ChunkCounter(count: count)
                self.body = body
            }
        }
        let work = Work(count: count, body: body)
        var ids: [pthread_t] = []
        for _ in 1..<threads {
            var id = pthread_t()
            let context = Unmanaged.passRetained(work).toOpaque()
            pthread_create(&id, nil, { context in
                let work = Unmanaged<Work>.fromOpaque(context!).takeRetainedValue()
                while let i = work.indices.take() { work.body(i) }
                return nil
            }, context)
            ids.append(id)
        }
        while let i = work.indices.take() { body(i) }
        for id in ids { pthread_join(id, nil) }
    }

    /// `body()` on the calling thread while `others(i)` runs for every `i` in `0..<count`, each
    /// on a thread of its own, at the same time whatever the number of cores (work that must
    /// stay on the caller's thread, beside work that can go anywhere: an SQLite connection
    /// each). Returns once all are done.
    public static func alongside<T>(_ count: Int, _ others: (Int) -> Void, _ body: () throws -> T) rethrows -> T {
        // The threads are joined before this returns: `others` does not outlive the call.
        return try withoutActuallyEscaping(others) { others in
            var ids: [pthread_t] = []
            for i in 0..<count {
                var id = pthread_t()
                let context = Unmanaged.passRetained(ThreadTask { others(i) }).toOpaque()
                pthread_create(&id, nil, { context in
                    Unmanaged<ThreadTask>.fromOpaque(context!).takeRetainedValue().run()
                    return nil
                }, context)
                ids.append(id)
            }
            defer { for id in ids { pthread_join(id, nil) } }
            return try body()
        }
    }
}

/// The next of `count` indices, for threads taking them in turn.
private final class ChunkCounter: @unchecked Sendable {
    let count: Int
    var next = 0
    var mutex = pthread_mutex_t()
    init(count: Int) {
        self.count = count
        pthread_mutex_init(&mutex, nil)
    }
    deinit { pthread_mutex_destroy(&mutex) }
    func take() -> Int? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}

/// A closure handed to a POSIX thread.
private final class ThreadTask: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// A buffer shared by parallel workers that write disjoint indices.
public struct SharedBuffer<Element>: @unchecked Sendable {
    public let buffer: UnsafeMutableBufferPointer<Element>
    public init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}

/// Seconds between laps, on the monotonic clock.
public struct Stopwatch {
    var last = ContinuousClock.now

    public init() {}

    public mutating func lap() -> Double {
        let now = ContinuousClock.now
        defer { last = now }
        return (now - last).seconds
    }
}

extension Duration {
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
