// The R1-Zero prompt template (DeepSeek-R1, arXiv 2501.12948, Table 1): a conversation in which
// the assistant first reasons inside <think> </think> and then answers inside <answer>
// </answer>, with the question in the user's slot. The paper constrains only this structure,
// not the content of the reasoning, so that RL shows what the model does on its own.
// Three presets: `r1_zero` paraphrases the paper's instruction in full; `compact` keeps only the
// structure, for tiny models whose context is a few dozen tokens; `plain` is the bare question
// line that the library's synthetic pretraining documents start with.
#pragma once

#include <string>
#include <string_view>

#include "grpo/core/error.hpp"

namespace grpo {

/// The text around a question that makes a prompt; the completion begins where it ends.
struct PromptTemplate {
    std::string before_question;  ///< the text before the question
    std::string after_question;  ///< ends where the model's completion begins

    /// The prompt for `question`; throws when the question contains a `<think>` or `<answer>` tag.
    std::string render(std::string_view question) const {
        require(question.find("<think>") == std::string_view::npos &&
                    question.find("<answer>") == std::string_view::npos,
                "PromptTemplate: the question '", question,
                "' contains a template tag; the completion's tags would be ambiguous");
        return before_question + std::string(question) + after_question;
    }

    /// DeepSeek-R1's Table 1 template: reason inside `<think>`, answer inside `<answer>`.
    static PromptTemplate r1_zero() {
        return {"A conversation between User and Assistant. The User asks a question and the "
                "Assistant solves it. The Assistant first thinks through the reasoning, then "
                "gives the answer. The reasoning goes inside <think> </think> tags and the answer "
                "inside <answer> </answer> tags, like this: <think> reasoning here </think> "
                "<answer> answer here </answer>.\nUser: ",
                "\nAssistant:"};
    }

    static PromptTemplate compact() { return {"User: ", "\nAssistant: "}; }  ///< the User and Assistant turns alone, without the instructions

    /// The question on a line of its own, the completion right after: the shape of the
    /// pretraining documents of tasks/worked_solution.hpp ("Solve for x: 2x + 3 = 7\n<think>...").
    static PromptTemplate plain() { return {"", "\n"}; }
};

}  // namespace grpo
