/// What the byte writers (folding, casing, cleaning, street types…) append to: an array of
/// bytes, or the normaliser's `ByteWriter`. The writers are generic over it, so that the
/// normaliser's hot path gets code specialised for its writer and every other caller keeps
/// passing a `[UInt8]` (which conforms as it is).
public protocol ByteSink {
    var count: Int { get }
    var last: UInt8? { get }
    subscript(_ index: Int) -> UInt8 { get set }
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
    @discardableResult mutating func removeLast() -> UInt8
    @discardableResult mutating func remove(at index: Int) -> UInt8
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R
    /// Appends what `write` puts at a pointer with room for `room` bytes and says it wrote.
    mutating func append(room: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int)
}

extension Array: ByteSink where Element == UInt8 {}

extension ByteSink {
    /// Written in a buffer (on the stack when small), then appended: for an array, which has
    /// no room past its end to hand out.
    @inlinable
    public mutating func append(room: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Swift.max(room, 1)) { buffer in
            let count = write(buffer.baseAddress!)
            append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Appends an array's bytes (one copy).
    @inline(__always)
    public mutating func appendBytes(_ bytes: [UInt8]) { bytes.withUnsafeBufferPointer { append(contentsOf: $0) } }

    /// Appends a string's UTF-8 bytes (one copy).
    @inline(__always)
    public mutating func appendUTF8(_ text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }
}

/// The normaliser's output buffer: bytes appended at the end and read back in place.
///
/// Written by hand because an array append is costly at this rate — about thirty appends a
/// record, each paying `Array.append(contentsOf:)`'s generic path (uniqueness check, capacity
/// reservation, sequence copy: ~120 instructions for a 10-byte value) where this one is a
/// capacity check and a copy. The memory is owned by `owner`; a copy of a `ByteWriter` shares
/// it, so a writer is moved from one record to the next, never copied and then written twice.
public struct ByteWriter: ByteSink {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    public private(set) var count = 0
    @usableFromInline var capacity: Int
    @usableFromInline var owner: Owner

    /// Frees the memory when the last writer holding it goes.
    @usableFromInline
    final class Owner {
        let pointer: UnsafeMutablePointer<UInt8>
        init(_ pointer: UnsafeMutablePointer<UInt8>) { self.pointer = pointer }
        deinit { pointer.deallocate() }
    }

    public init(capacity: Int = 256) {
        self.capacity = Swift.max(capacity, 16)
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
        owner = Owner(base)
    }

    public var isEmpty: Bool { count == 0 }
    public var last: UInt8? { count > 0 ? base[count &- 1] : nil }

    public subscript(_ index: Int) -> UInt8 {
        get {
            precondition(index >= 0 && index < count, "ByteWriter: index out of range")
            return base[index]
        }
        set {
            precondition(index >= 0 && index < count, "ByteWriter: index out of range")
            base[index] = newValue
        }
    }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        if count == capacity { grow(toHold: count &+ 1) }
        base[count] = byte
        count &+= 1
    }

    @inline(__always)
    public mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        guard n > 0, let source = bytes.baseAddress else { return }
        if count &+ n > capacity { grow(toHold: count &+ n) }
        Bytes.copy(from: source, to: base + count, count: n)
        count &+= n
    }

    public mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    /// Written in place at the end (no buffer, no second copy). When the writer grows first,
    /// its old memory is kept until `write` returns: what `write` reads may be there.
    @inline(__always)
    public mutating func append(room: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        if count &+ room > capacity {
            let old = owner
            grow(toHold: count &+ room)
            count &+= write(base + count)
            withExtendedLifetime(old) {}
            return
        }
        count &+= write(base + count)
    }

    /// Any other sequence of bytes (a string's UTF-8 view, a slice).
    public mutating func append<S: Sequence>(contentsOf bytes: S) where S.Element == UInt8 {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ append(contentsOf: $0) }) { return done }
        for b in bytes { append(b) }
    }

    @discardableResult
    public mutating func removeLast() -> UInt8 {
        precondition(count > 0, "ByteWriter: removeLast on an empty writer")
        count &-= 1
        return base[count]
    }

    @discardableResult
    public mutating func remove(at index: Int) -> UInt8 {
        precondition(index >= 0 && index < count, "ByteWriter: index out of range")
        let removed = base[index]
        (base + index).update(from: base + index + 1, count: count - index - 1)
        count &-= 1
        return removed
    }

    /// Empties the writer, keeping its memory.
    public mutating func removeAll() { count = 0 }

    public mutating func reserveCapacity(_ minimum: Int) {
        if minimum > capacity { grow(toHold: minimum) }
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// The bytes written, as an array.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    @usableFromInline
    mutating func grow(toHold minimum: Int) {
        let newCapacity = Swift.max(minimum, capacity &* 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base = newBase
        capacity = newCapacity
        owner = Owner(newBase)  // the old memory goes with the old owner
    }
}
