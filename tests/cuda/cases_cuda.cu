// The cross-backend cases on the CUDA backend (compiled by nvcc; no Eigen here).
#include <grpo/cuda.hpp>

#include "backend_cases.hpp"

namespace grpo_test {
bool cuda_available() { return grpo::cuda_device_available(); }
Values run_cuda_case(const std::string& name) { return run_backend_case<grpo::Cuda>(name); }
std::string cuda_error_message(const std::string& name) { return backend_error_message<grpo::Cuda>(name); }
}  // namespace grpo_test
