// Worked solutions: the step-by-step text a pretraining corpus or a cold-start SFT set shows a
// model, in the R1 template's shape (<think> steps </think><answer> result </answer>).
// For a·x + b = c the steps are the ones a student writes: move b across (its sign flips),
// simplify, divide by a, simplify:
//   <think>2x + 3 = 7
//   2x = 7 - 3
//   2x = 4
//   x = 4 / 2
//   x = 2</think><answer>2</answer>
#pragma once

#include <string>

#include "grpo/tasks/linear_equation.hpp"

namespace grpo {

// The reasoning lines only (what goes inside <think>), one step per line.
inline std::string linear_equation_steps(const LinearEquation& eq) {
    const std::string ax = eq.a == 1 ? "x" : eq.a == -1 ? "-x" : std::to_string(eq.a) + "x";
    std::string text = render_linear_equation(eq);
    if (eq.b != 0) {
        const std::string moved = eq.b > 0 ? " - " + std::to_string(eq.b) : " + " + std::to_string(-eq.b);
        text += "\n" + ax + " = " + std::to_string(eq.c) + moved;
        text += "\n" + ax + " = " + std::to_string(eq.c - eq.b);
    }
    if (eq.a != 1) {
        text += "\nx = " + std::to_string(eq.c - eq.b) + " / " + std::to_string(eq.a);
        text += "\nx = " + eq.solution().to_string();
    }
    return text;
}

// The whole completion: reasoning in <think>, the exact solution in <answer>.
inline std::string worked_linear_solution(const LinearEquation& eq) {
    return "<think>" + linear_equation_steps(eq) + "</think><answer>" + eq.solution().to_string() +
           "</answer>";
}

// The question line a model is prompted with: "Solve for x: 2x + 3 = 7\n".
inline std::string linear_equation_prompt(const LinearEquation& eq) {
    return "Solve for x: " + render_linear_equation(eq) + "\n";
}

// One pretraining document: the question line, then its worked solution.
inline std::string worked_linear_document(const LinearEquation& eq) {
    return linear_equation_prompt(eq) + worked_linear_solution(eq);
}

}  // namespace grpo
