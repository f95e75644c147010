// The CUDA backend against the CPU backend: every case of backend_cases.hpp runs on both and
// every output and gradient must agree within the tolerance stated here. Float tolerances:
// both sides compute in float, but in different orders (tree reductions, cuBLAS's blocking), so
// values agree to a few units in the last place of their scale, not bit for bit:
//   |cuda − cpu| ≤ kAbs + kRel·|cpu|   with kAbs = 2e-4, kRel = 2e-3
// (the model case stacks two blocks of such ops; its gradients get 5× that). Indices (top-k)
// and sampled tokens must be equal. Without a device this binary prints one line and exits 77,
// which ctest reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "backend_cases.hpp"

namespace grpo_test {
bool cuda_available();
Values run_cpu_case(const std::string& name);
Values run_cuda_case(const std::string& name);
std::string cpu_error_message(const std::string& name);
std::string cuda_error_message(const std::string& name);
}  // namespace grpo_test

using namespace grpo_test;

namespace {

constexpr double kAbs = 2e-4, kRel = 2e-3;

// Integers carried as doubles: compared for equality.
bool exact(const std::string& value_name) { return value_name == "indices" || value_name.rfind("tokens", 0) == 0; }

void compare(const std::string& case_name) {
    const Values cpu = run_cpu_case(case_name), cuda = run_cuda_case(case_name);
    REQUIRE(cpu.size() == cuda.size());
    const double scale = case_name == "transformer_moe" ? 5.0 : 1.0;
    for (std::size_t i = 0; i < cpu.size(); ++i) {
        const auto& [name, want] = cpu[i];
        const auto& got = cuda[i].second;
        INFO(case_name, ": ", name);
        REQUIRE(cuda[i].first == name);
        REQUIRE(got.size() == want.size());
        double worst = 0.0;
        std::size_t worst_at = 0;
        for (std::size_t j = 0; j < want.size(); ++j) {
            const double excess = std::abs(got[j] - want[j]) - scale * (kAbs + kRel * std::abs(want[j]));
            if (j == 0 || excess > worst) {
                worst = excess;
                worst_at = j;
            }
        }
        if (want.empty()) continue;
        INFO("worst element ", worst_at, ": cpu ", want[worst_at], ", cuda ", got[worst_at]);
        if (exact(name)) CHECK(got == want);
        else CHECK(worst <= 0.0);
    }
}

}  // namespace

TEST_CASE("every CUDA op and the model agree with the CPU backend, forward and backward") {
    for (const std::string& name : backend_case_names()) {
        CAPTURE(name);
        compare(name);
    }
}

TEST_CASE("the CUDA backend throws the CPU backend's message for bad ids and zero rows") {
    for (const std::string& name : backend_error_names()) {
        CAPTURE(name);
        const std::string want = cpu_error_message(name);
        CHECK(!want.empty());
        CHECK(cuda_error_message(name) == want);
    }
}

int main(int argc, char** argv) {
    if (!cuda_available()) {
        std::printf("no CUDA device: the CUDA backend tests are skipped\n");
        return 77;
    }
    doctest::Context context(argc, argv);
    return context.run();
}
