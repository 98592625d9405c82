#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Two-stage pipelining: `produce(i)` runs on a helper thread, up to `ahead` items in
/// advance, while `consume(i, item)` runs on the calling thread, in order. For work whose
/// second half is bound to one thread (an SQLite connection) and whose first half can be
/// prepared on the other core (encoding rows).
public enum Pipelined {
    /// Calls `consume(i, produce(i))` for every `i` in `0..<count`, in order. If `consume`
    /// throws, production stops and the error is rethrown once the helper has finished.
    public static func run<Item>(_ count: Int, ahead: Int = 2, produce: @escaping (Int) -> Item,
                                 consume: (Int, Item) throws -> Void) throws {
        guard count > 0 else { return }
        if ParallelLoop.threadCount <= 1 || count == 1 {
            for i in 0..<count { try consume(i, produce(i)) }
            return
        }
        let queue = Queue<Item>(slots: max(1, ahead), count: count, produce: produce)
        var id = pthread_t()
        let context = Unmanaged.passRetained(queue as Producer).toOpaque()
        pthread_create(&id, nil, { context in
            Unmanaged<Producer>.fromOpaque(context!).takeRetainedValue().produceAll()
            return nil
        }, context)
        defer { pthread_join(id, nil) }
        for i in 0..<count {
            let item = queue.take(i)
            do {
                try consume(i, item)
            } catch {
                queue.cancel()
                throw error
            }
        }
    }

    /// `run` over `0..<count` in blocks of `block` indices: `produce(range)` ahead on the
    /// helper thread, `consume(range, item)` in order on this one.
    public static func run<Item>(_ count: Int, block: Int, ahead: Int = 2, produce: @escaping (Range<Int>) -> Item,
                                 consume: (Range<Int>, Item) throws -> Void) throws {
        func range(_ b: Int) -> Range<Int> { (b * block)..<min(count, (b + 1) * block) }
        try run((count + block - 1) / block, ahead: ahead, produce: { produce(range($0)) }, consume: { try consume(range($0), $1) })
    }

    /// What the helper thread runs (not generic: a C thread entry cannot name `Item`).
    private class Producer: @unchecked Sendable {
        func produceAll() {}
    }

    /// A ring of `slots` items between the helper (producing) and the caller (consuming).
    private final class Queue<Item>: Producer, @unchecked Sendable {
        let count: Int
        let produce: (Int) -> Item
        var ring: [Item?]
        var produced = 0, consumed = 0
        var cancelled = false
        var mutex = pthread_mutex_t()
        var changed = pthread_cond_t()

        init(slots: Int, count: Int, produce: @escaping (Int) -> Item) {
            self.count = count
            self.produce = produce
            ring = Array(repeating: nil, count: slots)
            super.init()
            pthread_mutex_init(&mutex, nil)
            pthread_cond_init(&changed, nil)
        }

        deinit {
            pthread_cond_destroy(&changed)
            pthread_mutex_destroy(&mutex)
        }

        override func produceAll() {
            for i in 0..<count {
                pthread_mutex_lock(&mutex)
                while i - consumed >= ring.count && !cancelled { pthread_cond_wait(&changed, &mutex) }
                let stop = cancelled
                pthread_mutex_unlock(&mutex)
                if stop { return }
                let item = produce(i)
                pthread_mutex_lock(&mutex)
                ring[i % ring.count] = item
                produced = i + 1
                pthread_cond_broadcast(&changed)
                pthread_mutex_unlock(&mutex)
            }
        }

        func take(_ i: Int) -> Item {
            pthread_mutex_lock(&mutex)
            while produced <= i { pthread_cond_wait(&changed, &mutex) }
            let item = ring[i % ring.count].take()!
            consumed = i + 1
            pthread_cond_broadcast(&changed)
            pthread_mutex_unlock(&mutex)
            return item
        }

        func cancel() {
            pthread_mutex_lock(&mutex)
            cancelled = true
            pthread_cond_broadcast(&changed)
            pthread_mutex_unlock(&mutex)
        }
    }
}
