// Philox-4x32-10: the counter-based random number generator of Salmon et al., "Parallel Random
// Numbers: As Easy as 1, 2, 3" (SC 2011). A pure function of (counter, key): the same inputs
// give the same four 32-bit words on every platform, CPU or GPU, which is why CPU and CUDA
// code can draw identical numbers from one seed. Checked against Random123's known answers.
#pragma once

#include <cstdint>

#include "grpo/core/host_device.hpp"

namespace grpo {

/// Philox's 128-bit counter, four 32-bit words. Plain structs rather than std::array, whose
/// operator[] is host-only under nvcc.
struct PhiloxCounter {
    std::uint32_t word[4];  ///< the words
    GRPO_HOST_DEVICE std::uint32_t& operator[](int i) { return word[i]; }  ///< word i
    GRPO_HOST_DEVICE std::uint32_t operator[](int i) const { return word[i]; }  ///< word i
    /// Equal in all four words.
    friend bool operator==(const PhiloxCounter& a, const PhiloxCounter& b) {
        return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
    }
};
/// Philox's 64-bit key, two 32-bit words.
struct PhiloxKey {
    std::uint32_t word[2];  ///< the words
    GRPO_HOST_DEVICE std::uint32_t& operator[](int i) { return word[i]; }  ///< word i
    GRPO_HOST_DEVICE std::uint32_t operator[](int i) const { return word[i]; }  ///< word i
};

namespace philox_detail {
/// The round multipliers and Weyl key increments of Philox-4x32 (Salmon et al., Table 2).
constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;

GRPO_HOST_DEVICE inline void mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi,
                                     std::uint32_t& lo) {
    const std::uint64_t product = static_cast<std::uint64_t>(a) * b;
    hi = static_cast<std::uint32_t>(product >> 32);
    lo = static_cast<std::uint32_t>(product);
}
}  // namespace philox_detail

/// Ten rounds of Philox-4x32 on one 128-bit counter block.
GRPO_HOST_DEVICE inline PhiloxCounter philox4x32_10(PhiloxCounter ctr, PhiloxKey key) {
    using namespace philox_detail;
    for (int round = 0; round < 10; ++round) {
        std::uint32_t hi0, lo0, hi1, lo1;
        mulhilo(kMul0, ctr[0], hi0, lo0);
        mulhilo(kMul1, ctr[2], hi1, lo1);
        ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
        key[0] += kWeyl0;
        key[1] += kWeyl1;
    }
    return ctr;
}

}  // namespace grpo
