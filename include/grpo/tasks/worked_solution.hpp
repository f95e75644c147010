// Worked solutions: the step-by-step text a pretraining corpus or a cold-start SFT set shows a
// model, in the R1 template's shape (<think> steps </think><answer> result </answer>).
// For a·x + b = c the steps are the ones a student writes: move b across (its sign flips),
// simplify, divide by a, simplify:
//   <think>2x + 3 = 7
//   2x = 7 - 3
//   2x = 4
//   x = 4 / 2
//   x = 2</think><answer>2</answer>
//
// Labelled solutions, for the R1 pipeline's two reasoning languages (examples/07): each line
// starts with a one-word label in English or in Greek, and a solution can switch language at
// any line, as R1-Zero's chains of thought switched between English and Chinese:
//   <think>solve: 2x - 3 = 7          <think>λυσε: 2x - 3 = 7
//   move: 2x = 7 + 3                  φερω: 2x = 7 + 3
//   so: 2x = 10                       αρα: 2x = 10
//   divide: x = 10 / 2                διαιρω: x = 10 / 2
//   so: x = 5</think>…                αρα: x = 5</think>…
// and "Compute: (3 + 4) * 2" as "then: 3 + 4 = 7\nthen: 7 * 2 = 14" (Greek: μετα).
#pragma once

#include <climits>
#include <string>
#include <vector>

#include "grpo/tasks/arithmetic.hpp"
#include "grpo/tasks/linear_equation.hpp"

namespace grpo {

/// The reasoning lines only (what goes inside `<think>`), one step per line.
inline std::string linear_equation_steps(const LinearEquation& eq) {
    const std::string ax = render_ax(eq.a);
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

/// The whole completion: reasoning in `<think>`, the exact solution in `<answer>`.
inline std::string worked_linear_solution(const LinearEquation& eq) {
    return "<think>" + linear_equation_steps(eq) + "</think><answer>" + eq.solution().to_string() +
           "</answer>";
}

/// The question line a model is prompted with: "Solve for x: 2x + 3 = 7\n".
inline std::string linear_equation_prompt(const LinearEquation& eq) {
    return "Solve for x: " + render_linear_equation(eq) + "\n";
}

/// One pretraining document: the question line, then its worked solution.
inline std::string worked_linear_document(const LinearEquation& eq) {
    return linear_equation_prompt(eq) + worked_linear_solution(eq);
}

/// The language of a worked solution's step labels.
enum class ReasoningLanguage { english, greek };

/// The Greek letters the labels use, to add to a tokenizer (Tokenizer::ascii_with).
inline constexpr const char* kGreekLabelLetters = "λυσεφρωαδιμτ";

/// The language of each line: `first` up to line `switch_at`, the other language from it on.
struct LanguagePlan {
    ReasoningLanguage first = ReasoningLanguage::english;  ///< the language of the lines before switch_at
    int switch_at = INT_MAX;  ///< INT_MAX: never switches

    /// The language of line `line`.
    ReasoningLanguage at(int line) const {
        if (line < switch_at) return first;
        return first == ReasoningLanguage::english ? ReasoningLanguage::greek : ReasoningLanguage::english;
    }
};

/// The kinds of step line a worked solution has, each with its label.
enum class StepKind { solve, move, so, divide, then };

/// The label of a step kind in a language: "move" or "φερω".
inline const char* step_label(StepKind kind, ReasoningLanguage language) {
    static const char* const english[] = {"solve", "move", "so", "divide", "then"};
    static const char* const greek[] = {"λυσε", "φερω", "αρα", "διαιρω", "μετα"};
    return (language == ReasoningLanguage::english ? english : greek)[static_cast<int>(kind)];
}

/// The kinds of linear_equation_steps(eq)'s lines, in order.
inline std::vector<StepKind> linear_step_kinds(const LinearEquation& eq) {
    std::vector<StepKind> kinds = {StepKind::solve};
    if (eq.b != 0) kinds.insert(kinds.end(), {StepKind::move, StepKind::so});
    if (eq.a != 1) kinds.insert(kinds.end(), {StepKind::divide, StepKind::so});
    return kinds;
}

/// "<think>label: line\n…</think><answer>answer</answer>" from lines and their kinds.
inline std::string labelled_solution(const std::vector<std::string>& lines, const std::vector<StepKind>& kinds,
                                     const LanguagePlan& plan, const std::string& answer) {
    require(lines.size() == kinds.size(), "labelled_solution: ", lines.size(), " lines but ", kinds.size(),
            " kinds");
    std::string text = "<think>";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) text += "\n";
        text += std::string(step_label(kinds[i], plan.at(static_cast<int>(i)))) + ": " + lines[i];
    }
    return text + "</think><answer>" + answer + "</answer>";
}

/// The labelled solution of `eq`; with `slip`, the sign-slip misconception's wrong solution
/// (b moved across keeping its sign, train/synthetic_corpus.hpp).
inline std::string labelled_linear_solution(const LinearEquation& eq, const LanguagePlan& plan, bool slip = false) {
    require(!slip || eq.b != 0, "labelled_linear_solution: slip with b = 0, expected b != 0");
    const LinearEquation solved = slip ? LinearEquation{eq.a, -eq.b, eq.c} : eq;
    std::vector<std::string> lines;
    const std::string steps = linear_equation_steps(solved);
    for (std::size_t begin = 0; begin <= steps.size();) {
        std::size_t end = steps.find('\n', begin);
        if (end == std::string::npos) end = steps.size();
        lines.push_back(steps.substr(begin, end - begin));
        begin = end + 1;
    }
    lines[0] = render_linear_equation(eq);  // the question's equation, even when the rest slips
    return labelled_solution(lines, linear_step_kinds(solved), plan, solved.solution().to_string());
}

/// The labelled solution of an arithmetic expression: one "then:" line per operation.
inline std::string labelled_arithmetic_solution(const RandomExpression& expression, const LanguagePlan& plan) {
    return labelled_solution(expression.steps, std::vector<StepKind>(expression.steps.size(), StepKind::then), plan,
                             expression.value.to_string());
}

}  // namespace grpo
