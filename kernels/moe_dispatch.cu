// Kernel lab: MoE dispatch, the N·k (token, slot) pairs sorted by the expert each chose, so
// every expert's tokens are one contiguous segment for its GEMM (DeepSeek-V3 inference/model.py,
// MoE.forward, gathers the indices where the choice equals expert i). The contract of
// CpuRouting::sort_slots_by_expert (include/grpo/backend/cpu/routing.hpp):
//   expert: (P = N·k)  ->  pair: (P) pair ids in expert order, stable (token order within an
//   expert), token = pair / k: (P), start (host, E + 1): expert e owns [start[e], start[e + 1])
// build: cmake --build build --target kernel_moe_dispatch    run: build/kernels/moe_dispatch [--check]
#include "common.cuh"

// ---------------------------------------------------------------------------------------------
// CPU reference: a counting sort, as CpuRouting (count per expert, exclusive scan, then place
// the pairs in order, which keeps it stable).

void sort_slots_by_expert_cpu(std::int64_t P, std::int64_t E, std::int64_t k, const std::int32_t* expert,
                              std::int32_t* pair, std::int32_t* token, std::int64_t* start) {
    for (std::int64_t e = 0; e <= E; ++e) start[e] = 0;
    for (std::int64_t p = 0; p < P; ++p) ++start[expert[p] + 1];
    for (std::int64_t e = 0; e < E; ++e) start[e + 1] += start[e];
    std::vector<std::int64_t> next(start, start + E);
    for (std::int64_t p = 0; p < P; ++p) {
        const std::int64_t at = next[static_cast<std::size_t>(expert[p])]++;
        pair[at] = static_cast<std::int32_t>(p);
        token[at] = static_cast<std::int32_t>(p / k);
    }
}

// ---------------------------------------------------------------------------------------------
// Version 1: the counting sort parallelised the obvious way, in three kernels:
//   1. one thread per pair counts its expert with atomicAdd (E counters, so heavy contention:
//      on average P/E threads hit each counter)
//   2. one thread scans the E counts into the E + 1 offsets
//   3. one thread per expert walks all P pairs in order and places the ones that chose it
// Step 3 is the naive part: only E threads do the work and each reads all P expert ids
// serially, P dependent steps of load-compare-store. (Placing each pair with an atomicAdd on
// its expert's cursor instead would use P threads but lose the order within an expert: the
// result would differ from run to run, and from the CPU's.)

__global__ void count_experts_kernel1(std::int64_t P, const std::int32_t* expert, unsigned int* counts) {
    const std::int64_t p = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (p < P) atomicAdd(counts + expert[p], 1u);
}

__global__ void scan_counts_kernel1(std::int64_t E, const unsigned int* counts, std::int64_t* start) {
    start[0] = 0;
    for (std::int64_t e = 0; e < E; ++e) start[e + 1] = start[e] + counts[e];
}

__global__ void place_pairs_kernel1(std::int64_t P, std::int64_t E, std::int64_t k, const std::int32_t* expert,
                                    const std::int64_t* start, std::int32_t* pair, std::int32_t* token) {
    const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (e >= E) return;
    std::int64_t at = start[e];
    for (std::int64_t p = 0; p < P; ++p)
        if (expert[p] == e) {
            pair[at] = static_cast<std::int32_t>(p);
            token[at] = static_cast<std::int32_t>(p / k);
            ++at;
        }
}

// counts: (E) scratch, start_d: (E + 1) on the device; start (host) receives the offsets, as the
// library's call returns them (the per-expert GEMMs need their row counts on the host).
void sort_slots_by_expert1(std::int64_t P, std::int64_t E, std::int64_t k, const std::int32_t* expert,
                           std::int32_t* pair, std::int32_t* token, unsigned int* counts, std::int64_t* start_d,
                           std::int64_t* start) {
    const cudaStream_t stream = grpo::cuda_stream();
    GRPO_CUDA_CHECK(cudaMemsetAsync(counts, 0, static_cast<std::size_t>(E) * sizeof(unsigned int), stream));
    count_experts_kernel1<<<static_cast<unsigned>((P + 255) / 256), 256, 0, stream>>>(P, expert, counts);
    GRPO_CUDA_CHECK_LAUNCH();
    scan_counts_kernel1<<<1, 1, 0, stream>>>(E, counts, start_d);
    GRPO_CUDA_CHECK_LAUNCH();
    place_pairs_kernel1<<<static_cast<unsigned>((E + 63) / 64), 64, 0, stream>>>(P, E, k, expert, start_d, pair, token);
    GRPO_CUDA_CHECK_LAUNCH();
    grpo::CudaMemory::copy_to_host(start_d, start, E + 1);
}

// ---------------------------------------------------------------------------------------------
// Version 2: the library, grpo::Cuda::sort_slots_by_expert (CudaMoeDispatch,
// include/grpo/backend/cuda/moe_dispatch.cuh): Thrust's stable_sort_by_key of the expert ids
// with the pair ids as values (a radix sort: every step runs over all P pairs on every SM),
// a transform for token = pair / k, and lower_bound of 0..E in the sorted ids for the offsets.
// Every pass is parallel over P and coalesced, so it should beat v1's E serial walks by orders
// of magnitude at P = 131072. Fixed costs it keeps: the expert-id range check (a kernel, a copy
// back and a host wait), a copy of the keys, Thrust's temporary storage, and the offsets copied
// back. Not done (a next version): a radix sort over only the log2(E) bits the ids use (CUB's
// begin_bit/end_bit; 6 bits instead of 32 for E = 64), or a parallel counting sort.

bool run(const lab::Args& args) {
    const std::int64_t N = args.check ? 50 : 16384, k = args.check ? 3 : 8, E = args.check ? 7 : 64;
    const std::int64_t P = N * k;
    std::printf("moe dispatch: N = %lld tokens, k = %lld, E = %lld experts, P = %lld pairs\n",
                static_cast<long long>(N), static_cast<long long>(k), static_cast<long long>(E),
                static_cast<long long>(P));

    // Each token picks k distinct experts, uniformly (a router's top-k never repeats an expert).
    std::vector<std::int32_t> expert(static_cast<std::size_t>(P));  // (N, k)
    lab::Rng rng(1);
    for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t j = 0; j < k; ++j) {
            std::int32_t e;
            bool taken;
            do {
                e = rng.below(E);
                taken = false;
                for (std::int64_t i = 0; i < j; ++i) taken |= expert[n * k + i] == e;
            } while (taken);
            expert[n * k + j] = e;
        }
    std::vector<std::int32_t> pair_ref(P), token_ref(P);
    std::vector<std::int64_t> start_ref(E + 1);
    sort_slots_by_expert_cpu(P, E, k, expert.data(), pair_ref.data(), token_ref.data(), start_ref.data());

    auto expert_d = lab::to_device(expert);
    auto pair_d = lab::device_alloc<std::int32_t>(P), token_d = lab::device_alloc<std::int32_t>(P);
    auto counts_d = lab::device_alloc<unsigned int>(E);
    auto start_d = lab::device_alloc<std::int64_t>(E + 1);
    std::vector<std::int64_t> start(E + 1);
    const std::vector<lab::Version> versions = {
        {"v1 atomic count + thread per expert",
         [&] {
             sort_slots_by_expert1(P, E, k, expert_d.get(), pair_d.get(), token_d.get(), counts_d.get(), start_d.get(),
                                   start.data());
         }},
        {"v2 library (Thrust stable_sort_by_key)",
         [&] { grpo::Cuda::sort_slots_by_expert(P, E, k, expert_d.get(), pair_d.get(), token_d.get(), start.data()); }},
    };

    // Tolerance 0: integers, and a stable sort has exactly one right answer.
    bool ok = true;
    for (const auto& v : versions) {
        lab::poison(pair_d.get(), P);
        lab::poison(token_d.get(), P);
        std::fill(start.begin(), start.end(), std::int64_t{-1});
        v.launch();
        ok &= lab::check((v.name + ": pair").c_str(), lab::to_host(pair_d.get(), P), pair_ref, 0.0);
        ok &= lab::check((v.name + ": token").c_str(), lab::to_host(token_d.get(), P), token_ref, 0.0);
        ok &= lab::check((v.name + ": start").c_str(), start, start_ref, 0.0);
    }
    if (!ok || args.check) return ok;

    // Bytes: the expert ids read, pair and token written, the E + 1 offsets written.
    const double bytes = 4.0 * 3.0 * double(P) + 8.0 * double(E + 1);
    lab::time_versions(grpo::str("moe dispatch, N = ", N, ", k = ", k, ", E = ", E), versions, bytes, args.repeats);
    return ok;
}

int main(int argc, char** argv) { return lab::run_main(argc, argv, run); }
