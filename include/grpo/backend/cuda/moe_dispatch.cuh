// MoE dispatch on the GPU with Thrust: the N·k (token, slot) pairs sorted by the expert they
// chose, so each expert's tokens are one contiguous segment (DeepSeek-V3 inference/model.py
// MoE.forward loops over experts on the indices where the choice equals i; sorting once makes
// every expert's indices a slice). Stable, so within an expert the pairs stay in token order,
// exactly as the CPU's counting sort leaves them.
//   stable_sort_by_key(expert ids, pair ids)   the order
//   token = pair / k                           the row each pair reads and writes back
//   start[e] = lower_bound(sorted ids, e)      segment offsets (a vectorised binary search;
//                                              the same as an exclusive scan of the counts)
// Only the E + 1 offsets come back to the host: the per-expert GEMMs need their row counts.
#pragma once

#include <thrust/binary_search.h>
#include <thrust/device_ptr.h>
#include <thrust/execution_policy.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>
#include <thrust/transform.h>

#include <cstdint>
#include <vector>

#include "grpo/backend/cuda/vocab.cuh"

namespace grpo {
namespace cuda_detail {

struct DivideBy {
    std::int32_t k;
    __host__ __device__ std::int32_t operator()(std::int32_t pair) const { return pair / k; }
};

}  // namespace cuda_detail

struct CudaMoeDispatch {
    // expert: (P = N·k) the chosen expert of each pair; writes pair, token: (P) in expert order,
    // and start (host, E + 1): expert e owns sorted positions [start[e], start[e + 1]).
    static void sort_slots_by_expert(std::int64_t P, std::int64_t E, std::int64_t k, const std::int32_t* expert,
                                     std::int32_t* pair, std::int32_t* token, std::int64_t* start) {
        const std::int64_t bad = cuda_detail::first_out_of_range(P, expert, 0, E);
        require(bad < 0, "sort_slots_by_expert: expert ", bad < 0 ? 0 : cuda_detail::id_at(expert, bad), " at pair ",
                bad, " is out of range for ", E, " experts");
        auto keys = CudaMemory::allocate<std::int32_t>(P);
        auto offsets = CudaMemory::allocate<std::int64_t>(E + 1);
        CudaMemory::copy(expert, keys.get(), P);
        // par_nosync: Thrust's plain `par` waits for the host after every algorithm; this one only
        // orders them on the stream (the copy of the offsets at the end is the one wait).
        const auto policy = thrust::cuda::par_nosync.on(cuda_stream());
        const thrust::device_ptr<std::int32_t> key(keys.get()), order(pair), row(token);
        thrust::sequence(policy, order, order + P);
        thrust::stable_sort_by_key(policy, key, key + P, order);
        thrust::transform(policy, order, order + P, row, cuda_detail::DivideBy{static_cast<std::int32_t>(k)});
        thrust::lower_bound(policy, key, key + P, thrust::counting_iterator<std::int32_t>(0),
                            thrust::counting_iterator<std::int32_t>(static_cast<std::int32_t>(E + 1)),
                            thrust::device_ptr<std::int64_t>(offsets.get()));
        CudaMemory::copy_to_host(offsets.get(), start, E + 1);
    }
};

}  // namespace grpo
