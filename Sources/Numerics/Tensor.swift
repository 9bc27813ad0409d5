/// A contiguous, 64-byte-aligned buffer of `Float` with a shape, and **reference semantics**.
///
/// `Tensor` is deliberately a class: kernels write through `data` without copy-on-write
/// surprises, and keeping a tensor in an array (e.g. per-step BPTT records) never copies it.
/// Copies are explicit (`copy()`, `assign(from:)`).
///
/// Layout is row-major over `shape`; images and feature maps are `[channels, height, width]`
/// (CHW), so channel `c` is the contiguous plane `data + c * height * width`.
public final class Tensor: @unchecked Sendable {
    /// The extents, outermost first. Their product is `count`.
    public let shape: [Int]
    /// Number of elements.
    public let count: Int
    /// The storage: `count` floats, owned by this tensor, 64-byte aligned.
    public let data: UnsafeMutablePointer<Float>

    /// A zero-filled tensor of the given shape.
    public init(shape: [Int]) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 >= 0 }, "Tensor: invalid shape \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        data.initialize(repeating: 0, count: max(count, 1))
    }

    /// A tensor of the given shape holding `values` (row-major); `values.count` must match.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "Tensor: \(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { UnsafeMutableRawPointer(data).deallocate() }

    /// The elements as a read-only buffer pointer (valid while `self` is alive).
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: data, count: count)
    }

    /// Element at a flat index (bounds-checked; not for hot loops).
    @inlinable public subscript(index: Int) -> Float {
        get { precondition(index >= 0 && index < count, "Tensor index \(index) out of \(count)"); return data[index] }
        set { precondition(index >= 0 && index < count, "Tensor index \(index) out of \(count)"); data[index] = newValue }
    }

    /// A new tensor with the same shape and contents.
    public func copy() -> Tensor {
        let t = Tensor(shape: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// Overwrites this tensor's elements with `other`'s (same element count).
    @inlinable public func assign(from other: Tensor) {
        precondition(other.count == count, "assign: \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    /// Sets every element to `value`.
    @inlinable public func fill(_ value: Float) {
        data.update(repeating: value, count: count)
    }

    /// The elements as an array (copies).
    public func toArray() -> [Float] { Array(buffer) }
}
