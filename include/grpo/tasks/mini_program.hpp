// A tiny programming language the library runs itself, for code-execution rewards: "for coding,
// the generated code is executed and its output is compared to a known correct result"
// (DeepSeek-R1, arXiv 2501.12948 §2.2.2). Running the model's text in-process is safe only if
// every run is bounded, so the interpreter has no I/O but `print`, integers only, and limits on
// source size, nesting, steps, variables and output: every run ends, with a verdict.
// One statement a line (leading spaces are ignored, blank lines allowed):
//   x = <expr>                 assignment (a variable exists once assigned, or given as input)
//   print <expr>               writes the value and a newline
//   if <expr> then ... [else ...] end
//   while <expr> do ... end
// Expressions: integers, variables, ( ), unary -, * / % (C++'s: division truncates toward 0),
// + -, and one comparison < <= > >= == != giving 1 or 0; a condition is true when not 0.
// Arithmetic is on 64-bit integers; an overflow or a division by zero is a runtime error.
//   n = 5                      with no input, prints 120
//   f = 1
//   while n > 1 do
//     f = f * n
//     n = n - 1
//   end
//   print f
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grpo {

/// The bounds every run of a MiniProgram stays within.
struct MiniLimits {
    std::size_t max_source_bytes = 4096;  ///< a longer program is a parse error
    int max_depth = 32;                   ///< nesting of blocks and of parentheses
    std::int64_t max_steps = 10000;       ///< statements run, loop conditions tested and operators applied
    std::size_t max_variables = 32;       ///< distinct variables, inputs included (the memory limit)
    std::size_t max_output_bytes = 1024;  ///< bytes `print` may write
};

/// How a run ended.
enum class MiniStatus { ok, parse_error, runtime_error, step_limit, memory_limit, output_limit };

/// The status as a word for logs: "ok", "parse_error", ...
inline const char* status_name(MiniStatus s) {
    switch (s) {
        case MiniStatus::ok: return "ok";
        case MiniStatus::parse_error: return "parse_error";
        case MiniStatus::runtime_error: return "runtime_error";
        case MiniStatus::step_limit: return "step_limit";
        case MiniStatus::memory_limit: return "memory_limit";
        case MiniStatus::output_limit: return "output_limit";
    }
    return "unknown";
}

/// A run's verdict: its status, everything printed up to the end, and the reason when not ok
/// ("line 3: division by zero").
struct MiniRun {
    MiniStatus status = MiniStatus::ok;  ///< how it ended
    std::string output;                  ///< what `print` wrote
    std::string message;                 ///< why it stopped, when status is not ok
    std::int64_t steps = 0;              ///< steps taken
};

namespace mini_detail {

/// An expression node: a literal, a variable, a unary minus or a binary operator.
struct Expr {
    enum Kind { number, variable, negate, binary } kind = number;
    std::int64_t value = 0;  ///< a literal's value
    std::string name;        ///< a variable's name
    std::string op;          ///< a binary operator: + - * / % < <= > >= == !=
    std::unique_ptr<Expr> left, right;  ///< operands (negate uses left)
};

/// A statement node, with the line it was written on.
struct Stmt {
    enum Kind { assign, print, if_then, while_do } kind = assign;
    int line = 0;
    std::string name;              ///< the assigned variable
    std::unique_ptr<Expr> expr;    ///< the value, the printed value or the condition
    std::vector<Stmt> body, else_body;
};

/// Thrown inside the parser and the interpreter, caught by run_mini_program: it never escapes.
struct Stop {
    MiniStatus status;
    std::string message;
};

inline bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Splits one line into tokens: names, numbers, and the operators ( ) = + - * / % < <= > >= == !=.
inline std::vector<std::string> tokenize(std::string_view line, int line_number) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < line.size()) {
        const char c = line[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
        } else if (is_name_start(c) || is_digit(c)) {
            std::size_t j = i;
            while (j < line.size() && (is_name_start(line[j]) || is_digit(line[j]))) ++j;
            out.emplace_back(line.substr(i, j - i));
            i = j;
        } else if ((c == '<' || c == '>' || c == '=' || c == '!') && i + 1 < line.size() && line[i + 1] == '=') {
            out.emplace_back(line.substr(i, 2));
            i += 2;
        } else if (std::string_view("()=+-*/%<>").find(c) != std::string_view::npos) {
            out.emplace_back(1, c);
            ++i;
        } else {
            static constexpr const char* hex = "0123456789abcdef";
            const auto byte = static_cast<unsigned char>(c);
            const std::string shown = c >= 32 && c < 127 ? std::string(1, c)
                                                         : std::string("\\x") + hex[byte >> 4] + hex[byte & 15];
            throw Stop{MiniStatus::parse_error,
                       "line " + std::to_string(line_number) + ": unexpected character '" + shown + "'"};
        }
    }
    return out;
}

inline bool is_keyword(const std::string& w) {
    return w == "print" || w == "if" || w == "then" || w == "else" || w == "end" || w == "while" || w == "do";
}

/// A recursive-descent parser over the program's lines, bounded by MiniLimits::max_depth.
class Parser {
public:
    Parser(std::string_view source, const MiniLimits& limits) : limits_(limits) {
        std::size_t begin = 0;
        int number = 1;
        while (begin <= source.size()) {
            std::size_t end = source.find('\n', begin);
            if (end == std::string_view::npos) end = source.size();
            std::vector<std::string> tokens = tokenize(source.substr(begin, end - begin), number);
            if (!tokens.empty()) lines_.push_back({number, std::move(tokens)});
            begin = end + 1;
            ++number;
        }
    }

    std::vector<Stmt> program() {
        std::vector<Stmt> body = block(0);
        if (at_ < lines_.size()) fail(lines_[at_].number, "'" + lines_[at_].tokens[0] + "' without a block to close");
        return body;
    }

private:
    struct Line {
        int number;
        std::vector<std::string> tokens;
    };

    [[noreturn]] static void fail(int line, const std::string& what) {
        throw Stop{MiniStatus::parse_error, "line " + std::to_string(line) + ": " + what};
    }

    // Statements up to an `else`, an `end` or the end of the program.
    std::vector<Stmt> block(int depth) {
        if (depth > limits_.max_depth)
            fail(at_ < lines_.size() ? lines_[at_].number : 0, "blocks nested deeper than " +
                                                                  std::to_string(limits_.max_depth));
        std::vector<Stmt> out;
        while (at_ < lines_.size() && lines_[at_].tokens[0] != "else" && lines_[at_].tokens[0] != "end")
            out.push_back(statement(depth));
        return out;
    }

    Stmt statement(int depth) {
        const Line& l = lines_[at_++];
        const std::vector<std::string>& t = l.tokens;
        Stmt s;
        s.line = l.number;
        std::size_t pos = 0;
        if (t[0] == "print") {
            s.kind = Stmt::print;
            pos = 1;
            s.expr = full_expression(l, pos, t.size());
        } else if (t[0] == "if" || t[0] == "while") {
            const bool is_if = t[0] == "if";
            const char* opener = is_if ? "then" : "do";
            if (t.size() < 3 || t.back() != opener) fail(l.number, "'" + t[0] + " <condition> " + opener + "' expected");
            s.kind = is_if ? Stmt::if_then : Stmt::while_do;
            pos = 1;
            s.expr = full_expression(l, pos, t.size() - 1);
            s.body = block(depth + 1);
            if (is_if && at_ < lines_.size() && lines_[at_].tokens[0] == "else") {
                if (lines_[at_].tokens.size() != 1) fail(lines_[at_].number, "'else' stands alone on its line");
                ++at_;
                s.else_body = block(depth + 1);
            }
            if (at_ >= lines_.size()) fail(l.number, "'" + t[0] + "' has no 'end'");
            if (lines_[at_].tokens.size() != 1 || lines_[at_].tokens[0] != "end")
                fail(lines_[at_].number, "'end' expected, alone on its line");
            ++at_;
        } else if (t.size() >= 2 && is_name_start(t[0][0]) && !is_keyword(t[0]) && t[1] == "=") {
            s.kind = Stmt::assign;
            s.name = t[0];
            pos = 2;
            s.expr = full_expression(l, pos, t.size());
        } else {
            fail(l.number, "a statement expected (x = ..., print ..., if ... then, while ... do), got '" + t[0] + "'");
        }
        return s;
    }

    // An expression that must use exactly tokens [pos, end).
    std::unique_ptr<Expr> full_expression(const Line& l, std::size_t& pos, std::size_t end) {
        std::unique_ptr<Expr> e = comparison(l, pos, end, 0);
        if (pos != end) fail(l.number, "unexpected '" + l.tokens[pos] + "' after an expression");
        return e;
    }

    static std::unique_ptr<Expr> binary(std::string op, std::unique_ptr<Expr> a, std::unique_ptr<Expr> b) {
        auto e = std::make_unique<Expr>();
        e->kind = Expr::binary;
        e->op = std::move(op);
        e->left = std::move(a);
        e->right = std::move(b);
        return e;
    }

    std::unique_ptr<Expr> comparison(const Line& l, std::size_t& pos, std::size_t end, int depth) {
        std::unique_ptr<Expr> left = additive(l, pos, end, depth);
        if (pos < end) {
            const std::string& op = l.tokens[pos];
            if (op == "<" || op == "<=" || op == ">" || op == ">=" || op == "==" || op == "!=") {
                ++pos;
                left = binary(op, std::move(left), additive(l, pos, end, depth));
            }
        }
        return left;
    }

    std::unique_ptr<Expr> additive(const Line& l, std::size_t& pos, std::size_t end, int depth) {
        std::unique_ptr<Expr> left = multiplicative(l, pos, end, depth);
        while (pos < end && (l.tokens[pos] == "+" || l.tokens[pos] == "-")) {
            const std::string op = l.tokens[pos++];
            left = binary(op, std::move(left), multiplicative(l, pos, end, depth));
        }
        return left;
    }

    std::unique_ptr<Expr> multiplicative(const Line& l, std::size_t& pos, std::size_t end, int depth) {
        std::unique_ptr<Expr> left = unary(l, pos, end, depth);
        while (pos < end && (l.tokens[pos] == "*" || l.tokens[pos] == "/" || l.tokens[pos] == "%")) {
            const std::string op = l.tokens[pos++];
            left = binary(op, std::move(left), unary(l, pos, end, depth));
        }
        return left;
    }

    std::unique_ptr<Expr> unary(const Line& l, std::size_t& pos, std::size_t end, int depth) {
        if (depth > limits_.max_depth)
            fail(l.number, "an expression nested deeper than " + std::to_string(limits_.max_depth));
        if (pos >= end) fail(l.number, "an expression ends too soon");
        const std::string& t = l.tokens[pos];
        auto e = std::make_unique<Expr>();
        if (t == "-") {
            ++pos;
            e->kind = Expr::negate;
            e->left = unary(l, pos, end, depth + 1);
        } else if (t == "(") {
            ++pos;
            e = comparison(l, pos, end, depth + 1);
            if (pos >= end || l.tokens[pos] != ")") fail(l.number, "')' expected");
            ++pos;
        } else if (is_digit(t[0])) {
            std::int64_t v = 0;
            for (char c : t) {
                if (!is_digit(c)) fail(l.number, "'" + t + "' is not a number");
                if (v > (INT64_MAX - (c - '0')) / 10) fail(l.number, "the number " + t + " does not fit 64 bits");
                v = v * 10 + (c - '0');
            }
            e->kind = Expr::number;
            e->value = v;
            ++pos;
        } else if (is_name_start(t[0]) && !is_keyword(t)) {
            e->kind = Expr::variable;
            e->name = t;
            ++pos;
        } else {
            fail(l.number, "a value expected, got '" + t + "'");
        }
        return e;
    }

    const MiniLimits& limits_;
    std::vector<Line> lines_;
    std::size_t at_ = 0;
};

/// Runs a parsed program within the limits; throws Stop when it must end early.
class Machine {
public:
    Machine(const MiniLimits& limits, std::map<std::string, std::int64_t> inputs, MiniRun& run)
        : limits_(limits), vars_(std::move(inputs)), run_(run) {
        if (vars_.size() > limits_.max_variables)
            throw Stop{MiniStatus::memory_limit, std::to_string(vars_.size()) + " inputs, more than the " +
                                                     std::to_string(limits_.max_variables) + " variables allowed"};
    }

    void block(const std::vector<Stmt>& body) {
        for (const Stmt& s : body) statement(s);
    }

private:
    void step(int line) {
        if (++run_.steps > limits_.max_steps)
            throw Stop{MiniStatus::step_limit, "line " + std::to_string(line) + ": more than " +
                                                   std::to_string(limits_.max_steps) + " steps"};
    }

    void statement(const Stmt& s) {
        step(s.line);
        switch (s.kind) {
            case Stmt::assign: {
                const std::int64_t v = eval(*s.expr, s.line);
                if (vars_.count(s.name) == 0 && vars_.size() >= limits_.max_variables)
                    throw Stop{MiniStatus::memory_limit, "line " + std::to_string(s.line) + ": variable '" + s.name +
                                                             "' would be one more than the " +
                                                             std::to_string(limits_.max_variables) + " allowed"};
                vars_[s.name] = v;
                break;
            }
            case Stmt::print: {
                const std::string text = std::to_string(eval(*s.expr, s.line)) + "\n";
                if (run_.output.size() + text.size() > limits_.max_output_bytes)
                    throw Stop{MiniStatus::output_limit, "line " + std::to_string(s.line) + ": output past " +
                                                             std::to_string(limits_.max_output_bytes) + " bytes"};
                run_.output += text;
                break;
            }
            case Stmt::if_then:
                block(eval(*s.expr, s.line) != 0 ? s.body : s.else_body);
                break;
            case Stmt::while_do:
                while (eval(*s.expr, s.line) != 0) {
                    block(s.body);
                    step(s.line);  // each test of the condition after the first costs a step
                }
                break;
        }
    }

    [[noreturn]] static void error(int line, const std::string& what) {
        throw Stop{MiniStatus::runtime_error, "line " + std::to_string(line) + ": " + what};
    }

    std::int64_t eval(const Expr& e, int line) {
        switch (e.kind) {
            case Expr::number: return e.value;
            case Expr::variable: {
                const auto it = vars_.find(e.name);
                if (it == vars_.end()) error(line, "variable '" + e.name + "' is not set");
                return it->second;
            }
            case Expr::negate: {
                step(line);
                const std::int64_t v = eval(*e.left, line);
                if (v == INT64_MIN) error(line, "overflow");
                return -v;
            }
            case Expr::binary: break;
        }
        step(line);
        const std::int64_t a = eval(*e.left, line), b = eval(*e.right, line);
        std::int64_t r = 0;
        const std::string& op = e.op;
        if (op == "+") {
            if (__builtin_add_overflow(a, b, &r)) error(line, "overflow");
        } else if (op == "-") {
            if (__builtin_sub_overflow(a, b, &r)) error(line, "overflow");
        } else if (op == "*") {
            if (__builtin_mul_overflow(a, b, &r)) error(line, "overflow");
        } else if (op == "/" || op == "%") {
            if (b == 0) error(line, "division by zero");
            if (a == INT64_MIN && b == -1) error(line, "overflow");
            r = op == "/" ? a / b : a % b;
        } else if (op == "<") r = a < b;
        else if (op == "<=") r = a <= b;
        else if (op == ">") r = a > b;
        else if (op == ">=") r = a >= b;
        else if (op == "==") r = a == b;
        else r = a != b;  // "!=": the parser makes no other
        return r;
    }

    const MiniLimits& limits_;
    std::map<std::string, std::int64_t> vars_;
    MiniRun& run_;
};

}  // namespace mini_detail

/// Parses and runs `source` with the variables `inputs` set, within `limits`. Never throws on
/// any source: a parse error, runtime error or limit is a status with its reason.
inline MiniRun run_mini_program(std::string_view source, const std::map<std::string, std::int64_t>& inputs = {},
                                const MiniLimits& limits = {}) {
    MiniRun run;
    try {
        if (source.size() > limits.max_source_bytes)
            throw mini_detail::Stop{MiniStatus::parse_error, "the program has " + std::to_string(source.size()) +
                                                                 " bytes, more than " +
                                                                 std::to_string(limits.max_source_bytes)};
        mini_detail::Parser parser(source, limits);
        const std::vector<mini_detail::Stmt> program = parser.program();
        mini_detail::Machine machine(limits, inputs, run);
        machine.block(program);
    } catch (const mini_detail::Stop& stop) {
        run.status = stop.status;
        run.message = stop.message;
    }
    return run;
}

}  // namespace grpo
