// The cross-backend cases on the CPU backend (the reference side of test_cuda_backend.cpp).
#include <grpo/grpo.hpp>

#include "backend_cases.hpp"

namespace grpo_test {
Values run_cpu_case(const std::string& name) { return run_backend_case<grpo::Cpu>(name); }
std::string cpu_error_message(const std::string& name) { return backend_error_message<grpo::Cpu>(name); }
}  // namespace grpo_test
