// Tensor<T, Backend>: a contiguous, row-major block of T with a shape of rank 0..4, held by
// shared storage so that views (reshape, leading-dimension slices) cost nothing. Like llm.c's
// float buffers with the shape kept beside them. The backend type decides where the memory
// lives (Cpu: host memory; Cuda: device memory) through four static functions:
//   B::allocate<T>(n) -> std::shared_ptr<T>,  B::copy_from_host(src, dst, n),
//   B::copy_to_host(src, dst, n),              B::copy(src, dst, n)   (same-backend copy)
// Random creation draws on the host from an explicit grpo::Rng (Philox) and copies, so the
// CPU and CUDA backends hold identical numbers for one seed. This header includes no Eigen.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/core/rng.hpp"

namespace grpo {

/// A shape of rank 0 (a scalar) to 4. Dimensions are int64 so token counts never overflow.
struct Shape {
    static constexpr int kMaxRank = 4;  ///< the highest rank
    int rank = 0;  ///< number of dimensions in use
    std::int64_t dim[kMaxRank] = {0, 0, 0, 0};  ///< sizes; only the first `rank` count

    Shape() = default;
    /// The shape of the listed dimensions; throws on more than kMaxRank or a negative one.
    Shape(std::initializer_list<std::int64_t> dims) {
        require(dims.size() <= kMaxRank, "Shape: rank ", dims.size(), " > ", kMaxRank);
        for (std::int64_t d : dims) {
            require(d >= 0, "Shape: negative dimension ", d);
            dim[rank++] = d;
        }
    }
    /// Shape from a vector of dimensions, checked like the list constructor.
    static Shape of(const std::vector<std::int64_t>& dims) {
        require(dims.size() <= kMaxRank, "Shape: rank ", dims.size(), " > ", kMaxRank);
        Shape s;
        for (std::int64_t d : dims) {
            require(d >= 0, "Shape: negative dimension ", d);
            s.dim[s.rank++] = d;
        }
        return s;
    }

    /// Dimension i; throws when i is not an axis.
    std::int64_t operator[](int i) const {
        require(i >= 0 && i < rank, "Shape ", *this, ": axis ", i, " out of range");
        return dim[i];
    }
    /// Product of the dimensions (1 for a scalar).
    std::int64_t numel() const {
        std::int64_t n = 1;
        for (int i = 0; i < rank; ++i) n *= dim[i];
        return n;
    }
    std::int64_t last() const { return rank == 0 ? 1 : dim[rank - 1]; }  ///< the last dimension (1 for a scalar)
    std::int64_t rows() const { return rank == 0 ? 1 : numel() / (dim[rank - 1] ? dim[rank - 1] : 1); }  ///< numel() / last(): the rows of a row-major matrix view

    /// Same rank and dimensions.
    friend bool operator==(const Shape& a, const Shape& b) {
        if (a.rank != b.rank) return false;
        for (int i = 0; i < a.rank; ++i)
            if (a.dim[i] != b.dim[i]) return false;
        return true;
    }
    friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }  ///< not ==
    /// Writes "(2, 3)".
    friend std::ostream& operator<<(std::ostream& out, const Shape& s) {
        out << "(";
        for (int i = 0; i < s.rank; ++i) out << (i ? ", " : "") << s.dim[i];
        return out << ")";
    }
    std::string to_string() const { return str(*this); }  ///< "(2, 3)"
};

/// A contiguous, row-major block of T of rank 0..4, in memory of backend B; views share storage.
template <class T, class B>
class Tensor {
public:
    using value_type = T;  ///< the element type
    using backend = B;  ///< the backend whose memory holds it

    Tensor() = default;

    /// Uninitialised memory of the given shape (for outputs an op writes in full).
    static Tensor empty(Shape shape) {
        Tensor t;
        t.shape_ = shape;
        t.storage_ = B::template allocate<T>(shape.numel());
        return t;
    }
    /// Every element equal to `value`.
    static Tensor full(Shape shape, T value) {
        Tensor t = empty(shape);
        B::fill(t.data(), t.numel(), value);
        return t;
    }
    static Tensor zeros(Shape shape) { return full(shape, T(0)); }  ///< all 0
    static Tensor ones(Shape shape) { return full(shape, T(1)); }  ///< all 1

    /// From host values in row-major order; values.size() must equal shape.numel().
    static Tensor from(Shape shape, const std::vector<T>& values) {
        require(static_cast<std::int64_t>(values.size()) == shape.numel(), "Tensor::from: shape ",
                shape, " holds ", shape.numel(), " values, got ", values.size());
        Tensor t = empty(shape);
        B::copy_from_host(values.data(), t.data(), t.numel());
        return t;
    }
    /// Normal(mean, std) draws from rng, in row-major order.
    static Tensor randn(Shape shape, Rng& rng, double std = 1.0, double mean = 0.0) {
        std::vector<T> v(static_cast<std::size_t>(shape.numel()));
        for (T& x : v) x = static_cast<T>(mean + std * rng.normal());
        return from(shape, v);
    }
    /// Uniform in [lo, hi) from rng, in row-major order.
    static Tensor uniform(Shape shape, Rng& rng, double lo = 0.0, double hi = 1.0) {
        std::vector<T> v(static_cast<std::size_t>(shape.numel()));
        for (T& x : v) x = static_cast<T>(lo + (hi - lo) * rng.uniform());
        return from(shape, v);
    }

    const Shape& shape() const { return shape_; }  ///< the shape
    int rank() const { return shape_.rank; }  ///< number of dimensions
    std::int64_t dim(int i) const { return shape_[i]; }  ///< dimension i (checked)
    std::int64_t numel() const { return shape_.numel(); }  ///< element count
    bool defined() const { return storage_ != nullptr; }  ///< false for a default-constructed tensor

    /// Raw pointer to the first element (device memory for a device backend).
    T* data() const { return storage_.get() + offset_; }

    /// All values, copied to the host in row-major order.
    std::vector<T> to_host() const {
        std::vector<T> v(static_cast<std::size_t>(numel()));
        if (!v.empty()) B::copy_to_host(data(), v.data(), numel());
        return v;
    }
    /// Overwrites every element from host values in row-major order; the count must match.
    void copy_from_host(const std::vector<T>& values) {
        require(static_cast<std::int64_t>(values.size()) == numel(), "Tensor::copy_from_host: shape ",
                shape_, " holds ", numel(), " values, got ", values.size());
        B::copy_from_host(values.data(), data(), numel());
    }
    /// The one value of a tensor with a single element.
    T item() const {
        require(numel() == 1, "Tensor::item: shape ", shape_, " has ", numel(), " elements, expected 1");
        T v;
        B::copy_to_host(data(), &v, 1);
        return v;
    }

    /// A deep copy with its own storage.
    Tensor clone() const {
        Tensor t = empty(shape_);
        if (numel()) B::copy(data(), t.data(), numel());
        return t;
    }

    /// A view of the same storage with another shape of the same size.
    Tensor reshape(Shape shape) const {
        require(shape.numel() == numel(), "Tensor::reshape: cannot view shape ", shape_, " (",
                numel(), " elements) as ", shape, " (", shape.numel(), " elements)");
        Tensor t = *this;
        t.shape_ = shape;
        return t;
    }
    /// A view of rows [begin, end) of the leading dimension.
    Tensor slice(std::int64_t begin, std::int64_t end) const {
        require(rank() >= 1, "Tensor::slice: a scalar has no leading dimension");
        require(0 <= begin && begin <= end && end <= shape_.dim[0], "Tensor::slice: [", begin, ", ",
                end, ") is out of range for shape ", shape_);
        Tensor t = *this;
        t.shape_.dim[0] = end - begin;
        t.offset_ += begin * (shape_.dim[0] ? numel() / shape_.dim[0] : 0);
        return t;
    }
    /// Row i of the leading dimension, as a tensor of rank - 1.
    Tensor operator[](std::int64_t i) const {
        require(rank() >= 1 && 0 <= i && i < shape_.dim[0], "Tensor: index ", i,
                " is out of range for shape ", shape_);
        Tensor t = slice(i, i + 1);
        Shape s;
        for (int a = 1; a < rank(); ++a) s.dim[s.rank++] = shape_.dim[a];
        t.shape_ = s;
        return t;
    }

    /// True when both views share one storage block (used by tests of views).
    bool shares_storage_with(const Tensor& other) const { return storage_ == other.storage_; }

private:
    std::shared_ptr<T> storage_;
    std::int64_t offset_ = 0;  ///< in elements, from the start of storage_
    Shape shape_;
};

/// Throws unless `t` has exactly `expected`; `what` names the argument in the message.
template <class T, class B>
void require_shape(const Tensor<T, B>& t, const Shape& expected, const char* op, const char* what) {
    require(t.shape() == expected, op, ": ", what, " has shape ", t.shape(), ", expected ", expected);
}

}  // namespace grpo
