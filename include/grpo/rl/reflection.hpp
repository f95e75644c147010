// Counting self-verification in an evaluation: how often completions check their answer
// (tasks/self_check.hpp's "check: …" lines), and what the checks were worth. The R1 paper
// reports reflection as it emerges during RL (arXiv 2501.12948, §2.2.4); later work warns that a
// check is not the same as a correction: Oat-Zero (Liu et al., arXiv 2503.20783, §2.3) finds
// "superficial self-reflection", checks followed by a wrong answer, common in base models. So
// next to the check rate this reports both outcomes:
//   check rate        share of completions with at least one check line
//   self-correction   share of completions with a failed check whose final answer is right
//   superficial       share of completions with a check whose final answer is wrong
//   accuracy with / without a check   the accuracy of each half (NaN when a half is empty)
// "Right" is the accuracy reward under the problem's verifier, as in evaluation.hpp.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/rl/evaluation.hpp"
#include "grpo/rl/rewards/accuracy.hpp"
#include "grpo/tasks/problem.hpp"
#include "grpo/tasks/self_check.hpp"

namespace grpo {

/// Self-verification over a set of completions; the rates are shares of all of them.
struct ReflectionStats {
    int completions = 0;                 ///< how many were read
    double check_rate = 0.0;             ///< with at least one check line
    double failed_check_rate = 0.0;      ///< with at least one failed check
    double self_correction_rate = 0.0;   ///< a failed check, then a right final answer
    double superficial_rate = 0.0;       ///< a check, and a wrong final answer
    double accuracy_with_check = std::nan("");     ///< right, among those with a check (NaN: none)
    double accuracy_without_check = std::nan("");  ///< right, among those without (NaN: none)
};

/// Accumulates completions one at a time; stats() gives the shares.
class ReflectionCounter {
public:
    /// Reads one completion, right or wrong by its problem's verifier.
    void add(const std::string& completion, bool correct) {
        const CheckTrace trace = read_checks(completion);
        ++total_;
        if (trace.any()) {
            ++checked_;
            checked_right_ += correct;
        } else {
            unchecked_right_ += correct;
        }
        if (trace.failed > 0) {
            ++failed_;
            self_corrected_ += correct;
        }
    }

    /// The shares so far; throws when nothing was added.
    ReflectionStats stats() const {
        require(total_ > 0, "ReflectionCounter::stats: no completions were added");
        ReflectionStats s;
        const double n = total_;
        s.completions = total_;
        s.check_rate = checked_ / n;
        s.failed_check_rate = failed_ / n;
        s.self_correction_rate = self_corrected_ / n;
        s.superficial_rate = (checked_ - checked_right_) / n;
        if (checked_ > 0) s.accuracy_with_check = static_cast<double>(checked_right_) / checked_;
        if (total_ > checked_) s.accuracy_without_check = static_cast<double>(unchecked_right_) / (total_ - checked_);
        return s;
    }

private:
    int total_ = 0, checked_ = 0, checked_right_ = 0, unchecked_right_ = 0, failed_ = 0, self_corrected_ = 0;
};

/// The sampled completions of `report` (evaluated with EvalConfig::keep_samples on `problems`).
inline ReflectionStats sampled_reflection(const EvalReport& report, const std::vector<Problem>& problems) {
    require(report.per_problem.size() == problems.size(), "sampled_reflection: ", report.per_problem.size(),
            " evaluated problems and ", problems.size(), " problems, expected the same list");
    ReflectionCounter counter;
    for (std::size_t i = 0; i < problems.size(); ++i) {
        const ProblemEval& e = report.per_problem[i];
        require(static_cast<int>(e.sample_completions.size()) == report.samples, "sampled_reflection: problem ", i,
                " kept ", e.sample_completions.size(), " of ", report.samples,
                " samples, expected all (EvalConfig::keep_samples = true)");
        for (const std::string& text : e.sample_completions)
            counter.add(text, accuracy_reward(text, problems[i].check) > 0.0);
    }
    return counter.stats();
}

/// The greedy completions of `report`.
inline ReflectionStats greedy_reflection(const EvalReport& report) {
    require(!report.per_problem.empty(), "greedy_reflection: the report has no problems");
    ReflectionCounter counter;
    for (const ProblemEval& e : report.per_problem) counter.add(e.greedy_completion, e.greedy_correct);
    return counter.stats();
}

}  // namespace grpo
