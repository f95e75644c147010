// Example 03: autograd by hand, checked against finite differences.
// A tiny graph, loss = mean(silu(x·W + b)²), is recorded on a Tape; backward fills W and b's
// gradients; each is printed beside its central finite-difference estimate
//   dL/dθ ≈ (L(θ + h) − L(θ − h)) / 2h,  h = 1e-5.
#include <cmath>
#include <cstdio>
#include <grpo/grpo.hpp>
#include <vector>

#include "../example_flags.hpp"

using Td = grpo::Tensor<double, grpo::Cpu>;
using Vd = grpo::Var<double, grpo::Cpu>;

// The forward pass. With tape == nullptr nothing is recorded (what finite differences use).
Vd forward(grpo::Tape* tape, const Vd& x, const Vd& W, const Vd& b) {
    const Vd z = grpo::add(tape, grpo::matmul(tape, x, W), b);  // (2, 2) = (2, 3)·(3, 2) + (2)
    const Vd a = grpo::silu(tape, z);                            // (2, 2)
    return grpo::mean(tape, grpo::mul(tape, a, a));              // ()
}

void print_matrix(const char* name, const Td& t) {
    const std::vector<double> v = t.to_host();
    const auto cols = t.shape().last();
    std::printf("%s %s\n", name, t.shape().to_string().c_str());
    for (std::size_t i = 0; i < v.size(); ++i)
        std::printf("%s%9.5f%s", i % cols == 0 ? "  " : " ", v[i], (i + 1) % cols == 0 ? "\n" : "");
}

int main(int argc, char** argv) {
    // No flags: the table is empty, so only --help is understood and anything else is refused.
    const ExampleFlags flags({}, "Autograd by hand: a tiny graph's tape gradients beside finite differences\n"
                                 "(tutorials/03-autograd.md).", argc, argv);
    const Vd x(Td::from({2, 3}, {1.0, -2.0, 0.5, 0.3, 1.5, -1.0}));        // input: no gradient
    Vd W = Vd::param(Td::from({3, 2}, {0.2, -0.4, 0.7, 0.1, -0.3, 0.5}));  // parameters
    Vd b = Vd::param(Td::from({2}, {0.1, -0.2}));

    grpo::Tape tape;
    const Vd loss = forward(&tape, x, W, b);
    std::printf("recorded %zu ops on the tape\n", tape.size());
    std::printf("loss = %.6f\n\n", loss.value().item());
    tape.backward(loss);

    // Finite differences perturb one parameter value at a time and rerun the forward untaped.
    std::vector<Vd> params = {W, b};
    auto f = [&x](grpo::Tape* t, std::vector<Vd>& p) { return forward(t, x, p[0], p[1]); };
    const std::vector<double> seed = {1.0};
    const char* names[] = {"W", "b"};
    double worst = 0;
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::vector<double> tape_grad = params[i].grad().to_host();
        const std::vector<double> fd = grpo::numerical_gradient(f, params, i, seed);
        std::printf("%-6s %12s %12s\n", names[i], "tape", "finite diff");
        for (std::size_t j = 0; j < fd.size(); ++j) {
            std::printf("  [%zu] %12.6f %12.6f\n", j, tape_grad[j], fd[j]);
            worst = std::fmax(worst, std::fabs(tape_grad[j] - fd[j]));
        }
    }
    std::printf("\nlargest |tape - finite diff| below 1e-8: %s\n", worst < 1e-8 ? "yes" : "no");

    // A second backward on the same tape is an error: the tape was consumed.
    try {
        tape.backward(loss);
    } catch (const grpo::Error& e) {
        std::printf("second backward: %s\n", e.what());
    }
    print_matrix("\nW after backward is unchanged (an optimiser would step it):", W.value());
    return 0;
}
