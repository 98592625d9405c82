#if canImport(Glibc)
import Glibc
#endif
import TamisCore
import XCTest

/// The two-stage pipeline used by the base write: every item consumed once, in order, never
/// more than `ahead` items produced ahead, and a consumer's error stops production.
final class PipelinedTests: XCTestCase {
    /// Counts shared by the producing thread and the test.
    final class Counter: @unchecked Sendable {
        var mutex = pthread_mutex_t()
        var produced = 0
        var consumed = 0
        var maxAhead = 0
        init() { pthread_mutex_init(&mutex, nil) }
        func produce() {
            pthread_mutex_lock(&mutex)
            produced += 1
            maxAhead = max(maxAhead, produced - consumed)
            pthread_mutex_unlock(&mutex)
        }
        func consume() {
            pthread_mutex_lock(&mutex)
            consumed += 1
            pthread_mutex_unlock(&mutex)
        }
    }

    func test_items_are_consumed_in_order_with_a_bounded_lead() throws {
        for ahead in [1, 3] {
            let counter = Counter()
            var seen: [Int] = []
            try Pipelined.run(500, ahead: ahead, produce: { i -> [Int] in
                counter.produce()
                return [i, i * i]
            }, consume: { i, item in
                XCTAssertEqual(item, [i, i * i])
                seen.append(i)
                if i % 50 == 0 { usleep(200) }  // a slow consumer: the producer must wait
                counter.consume()
            })
            XCTAssertEqual(seen, Array(0..<500))
            XCTAssertEqual(counter.produced, 500)
            // The one being consumed plus `ahead` waiting.
            XCTAssertLessThanOrEqual(counter.maxAhead, ahead + 1, "ahead \(ahead)")
        }
    }

    struct Stop: Error {}

    func test_an_error_in_the_consumer_stops_production_and_is_rethrown() {
        let counter = Counter()
        XCTAssertThrowsError(try Pipelined.run(10_000, ahead: 2, produce: { i -> Int in
            counter.produce()
            return i
        }, consume: { i, _ in
            if i == 10 { throw Stop() }
        })) { XCTAssertTrue($0 is Stop) }
        XCTAssertLessThanOrEqual(counter.produced, 14, "production stops soon after the error")
    }

    func test_nothing_and_one_item() throws {
        var calls = 0
        try Pipelined.run(0, produce: { $0 }, consume: { _, _ in calls += 1 })
        XCTAssertEqual(calls, 0)
        try Pipelined.run(1, produce: { $0 + 41 }, consume: { _, item in calls += item })
        XCTAssertEqual(calls, 41)
    }
}
