// What every program of the kernel lab shares: the device check (exit 77 without a GPU, which
// ctest counts as skipped), command-line flags, random inputs, copies to and from the device,
// the comparison with the CPU reference, timing with CUDA events, and the results table.
// Everything runs on the library's stream, grpo::cuda_stream(): it is a non-blocking stream, so
// work on the legacy default stream (plain cudaMemcpy, cudaMemset) would not be ordered with it.
#pragma once

#include <grpo/cuda.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lab {

struct Args {
    bool check = false;  // --check: tiny sizes, comparisons only, no timing (what ctest runs)
    int repeats = 20;    // --repeats N: timed runs per version, after the warm-up
};

// Parses the flags, skips (exit 77) without a device, runs body(args) and turns a grpo::Error
// (every checked CUDA call throws one) into exit status 1.
template <class Body>
int run_main(int argc, char** argv, Body body) {
    Args args;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--check") == 0) {
            args.check = true;
        } else if (std::strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) {
            args.repeats = std::atoi(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: %s [--check] [--repeats N]\n", argv[0]);
            return 2;
        }
    }
    int devices = 0;
    // Without a driver cudaGetDeviceCount returns an error and leaves `devices` unset.
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::printf("no CUDA device: skipped\n");
        return 77;
    }
    try {
        cudaDeviceProp prop{};
        GRPO_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
        std::printf("device: %s (sm_%d%d)%s\n", prop.name, prop.major, prop.minor, args.check ? ", --check" : "");
        return body(args) ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}

// Deterministic random numbers (splitmix64), fast enough to fill 100M floats.
struct Rng {
    std::uint64_t state;
    explicit Rng(std::uint64_t seed) : state(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    float uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>(next() >> 40) / 16777216.0f; }
    std::int32_t below(std::int64_t n) { return static_cast<std::int32_t>(next() % static_cast<std::uint64_t>(n)); }
};

inline std::vector<float> random_floats(std::size_t n, float lo, float hi, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<float> x(n);
    for (auto& v : x) v = rng.uniform(lo, hi);
    return x;
}
inline std::vector<std::int32_t> random_ints(std::size_t n, std::int64_t below, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<std::int32_t> x(n);
    for (auto& v : x) v = rng.below(below);
    return x;
}

// Device memory from the library's caching allocator, freed when the last shared_ptr goes.
template <class T>
std::shared_ptr<T> device_alloc(std::size_t n) {
    return grpo::CudaMemory::allocate<T>(static_cast<std::int64_t>(n));
}
template <class T>
std::shared_ptr<T> to_device(const std::vector<T>& host) {
    auto d = device_alloc<T>(host.size());
    grpo::CudaMemory::copy_from_host(host.data(), d.get(), static_cast<std::int64_t>(host.size()));
    return d;
}
template <class T>
void upload(const std::vector<T>& host, T* device) {  // overwrite a device buffer (reset state)
    grpo::CudaMemory::copy_from_host(host.data(), device, static_cast<std::int64_t>(host.size()));
}
template <class T>
std::vector<T> to_host(const T* device, std::size_t n) {  // waits for the stream
    std::vector<T> host(n);
    grpo::CudaMemory::copy_to_host(device, host.data(), static_cast<std::int64_t>(n));
    return host;
}

// Fills a device buffer with 0xFF bytes (NaN as float, −1 as int) so an output a version forgets
// to write fails the check instead of passing on a previous version's values.
template <class T>
void poison(T* device, std::size_t n) {
    GRPO_CUDA_CHECK(cudaMemsetAsync(device, 0xFF, n * sizeof(T), grpo::cuda_stream()));
}

// Prints the largest |got − want| and PASS when it is within tol; NaN counts as a failure.
template <class T>
bool check(const char* what, const std::vector<T>& got, const std::vector<T>& want, double tol) {
    double worst = 0.0;
    std::size_t at = 0;
    bool ok = got.size() == want.size();
    for (std::size_t i = 0; ok && i < got.size(); ++i) {
        double err = std::fabs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
        if (std::isnan(err)) err = INFINITY;
        if (err > worst) {
            worst = err;
            at = i;
        }
    }
    ok = ok && worst <= tol;
    std::printf("  %-40s max abs error %.3e (tolerance %.0e, worst at %zu)  %s\n", what, worst, tol, at,
                ok ? "PASS" : "FAIL");
    return ok;
}

// Flushing L2 between timed runs (by writing a buffer twice its size) makes every run read its
// inputs from DRAM, as it would inside a model where other layers ran in between.
class L2Flush {
public:
    L2Flush() {
        int l2 = 0;
        GRPO_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, 0));
        bytes_ = 2 * static_cast<std::size_t>(l2 > 0 ? l2 : (1 << 20));
        buffer_ = device_alloc<unsigned char>(bytes_);
    }
    void operator()() const { GRPO_CUDA_CHECK(cudaMemsetAsync(buffer_.get(), 0, bytes_, grpo::cuda_stream())); }

private:
    std::size_t bytes_ = 0;
    std::shared_ptr<unsigned char> buffer_;
};

// Mean time of launch() in microseconds: a few warm-up runs (module load, cuBLAS and Thrust
// set-up), then `repeats` runs, each between two events on the library's stream, with L2 flushed
// before each (outside the events). A launch that waits on the host inside (a copy back) is
// timed with that wait included: it is what the caller pays.
template <class Launch>
double time_us(int repeats, Launch&& launch) {
    static const L2Flush flush_l2;
    for (int i = 0; i < 3; ++i) launch();
    GRPO_CUDA_CHECK(cudaStreamSynchronize(grpo::cuda_stream()));
    cudaEvent_t start, stop;
    GRPO_CUDA_CHECK(cudaEventCreate(&start));
    GRPO_CUDA_CHECK(cudaEventCreate(&stop));
    double total_ms = 0.0;
    for (int i = 0; i < repeats; ++i) {
        flush_l2();
        GRPO_CUDA_CHECK(cudaEventRecord(start, grpo::cuda_stream()));
        launch();
        GRPO_CUDA_CHECK(cudaEventRecord(stop, grpo::cuda_stream()));
        GRPO_CUDA_CHECK(cudaEventSynchronize(stop));
        float ms = 0.0f;
        GRPO_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
        total_ms += ms;
    }
    GRPO_CUDA_CHECK(cudaEventDestroy(start));
    GRPO_CUDA_CHECK(cudaEventDestroy(stop));
    return 1000.0 * total_ms / (repeats > 0 ? repeats : 1);
}

// One row of a results table. bytes: what the op must read and write at least (inputs once,
// outputs once), the same count for every version, so GB/s compares versions like time does
// and can be set against the GPU's DRAM bandwidth.
struct Timing {
    std::string version;
    double us;
    double bytes;
};

// A markdown table (paste it into kernels/README.md); speedup is relative to the first row (v1).
inline void print_table(const std::string& title, const std::vector<Timing>& rows) {
    std::printf("\n%s\n\n", title.c_str());
    std::printf("| version | time (us) | effective GB/s | speedup vs v1 |\n");
    std::printf("| --- | ---: | ---: | ---: |\n");
    for (const auto& r : rows)
        std::printf("| %s | %.1f | %.1f | %.2fx |\n", r.version.c_str(), r.us, r.bytes / r.us / 1e3, rows.front().us / r.us);
    std::printf("\n");
}

// A version under test: its name in the table and a call that runs it once on the stream.
struct Version {
    std::string name;
    std::function<void()> launch;
};

// Times every version (time_us) and prints the table; bytes as in Timing.
inline void time_versions(const std::string& title, const std::vector<Version>& versions, double bytes, int repeats) {
    std::vector<Timing> rows;
    for (const auto& v : versions) rows.push_back({v.name, time_us(repeats, v.launch), bytes});
    print_table(title, rows);
}

}  // namespace lab
