// SvgPlot: line charts as SVG text, for the curves the examples draw (reward, pass@1 and
// completion length against steps; expert load against steps). No dependencies: an SVG file is
// XML that every browser shows. Several series share one x axis and one y axis; each y range
// is padded to "nice" tick values (1, 2 or 5 times a power of ten).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "grpo/core/error.hpp"
#include "grpo/io/atomic_file.hpp"

namespace grpo {

/// One labelled line of a plot.
struct PlotSeries {
    std::string label;  ///< the legend's text
    /// The points: same length; NaN y values leave a gap in the line.
    ///@{
    std::vector<double> x, y;
    ///@}
};

/// A line chart of one or more series on shared axes, rendered as SVG text.
class SvgPlot {
public:
    /// An empty chart with a title and axis labels.
    SvgPlot(std::string title, std::string x_label, std::string y_label)
        : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)) {}

    /// Adds a series; throws when x and y differ in length or an x is not finite.
    void add(PlotSeries series) {
        require(series.x.size() == series.y.size(), "SvgPlot: series '", series.label, "' has ",
                series.x.size(), " x values and ", series.y.size(), " y values");
        for (double x : series.x)
            require(std::isfinite(x), "SvgPlot: series '", series.label, "' has x value ", x);
        series_.push_back(std::move(series));
    }

    /// The chart as an SVG document.
    std::string render() const {
        double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
        for (const PlotSeries& s : series_)
            for (std::size_t i = 0; i < s.x.size(); ++i) {
                if (!std::isfinite(s.y[i])) continue;
                x_lo = std::min(x_lo, s.x[i]), x_hi = std::max(x_hi, s.x[i]);
                y_lo = std::min(y_lo, s.y[i]), y_hi = std::max(y_hi, s.y[i]);
            }
        require(x_lo <= x_hi, "SvgPlot '", title_, "': no finite points to draw");
        if (x_lo == x_hi) x_lo -= 1, x_hi += 1;
        if (y_lo == y_hi) y_lo -= 1, y_hi += 1;
        const double y_step = nice_step((y_hi - y_lo) / 5);
        y_lo = std::floor(y_lo / y_step) * y_step;
        y_hi = std::ceil(y_hi / y_step) * y_step;

        const auto px = [&](double x) { return kLeft + (x - x_lo) / (x_hi - x_lo) * kPlotWidth; };
        const auto py = [&](double y) { return kTop + (y_hi - y) / (y_hi - y_lo) * kPlotHeight; };
        std::string svg = format(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
            "fill=\"white\"/>\n",
            kWidth, kHeight);
        svg += format("<text x=\"%d\" y=\"20\" font-size=\"15\">%s</text>\n", kLeft, escape(title_).c_str());
        for (double y = y_lo; y <= y_hi + y_step / 2; y += y_step)
            svg += format("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                          kLeft, kLeft + kPlotWidth, py(y), py(y), kLeft - 6, py(y) + 4,
                          std::abs(y) < y_step / 1e6 ? 0.0 : y);
        const double x_step = nice_step((x_hi - x_lo) / 6);
        for (double x = std::ceil(x_lo / x_step) * x_step; x <= x_hi + x_step / 1e6; x += x_step)
            svg += format("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px(x),
                          kTop + kPlotHeight + 18, x);
        svg += format("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n",
                      kLeft, kTop, kPlotWidth, kPlotHeight);
        svg += format("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", kLeft + kPlotWidth / 2,
                      kHeight - 8, escape(x_label_).c_str());
        svg += format("<text transform=\"translate(16 %d) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
                      kTop + kPlotHeight / 2, escape(y_label_).c_str());
        for (std::size_t k = 0; k < series_.size(); ++k) {
            const char* color = kColors[k % (sizeof kColors / sizeof kColors[0])];
            svg += polylines(series_[k], px, py, color);
            svg += format("<text x=\"%d\" y=\"%zu\" fill=\"%s\">%s</text>\n", kLeft + kPlotWidth + 10,
                          kTop + 14 + 18 * k, color, escape(series_[k].label).c_str());
        }
        return svg + "</svg>\n";
    }

    void save(const std::string& path) const { write_file_atomically(path, render()); }  ///< writes render() to `path`, atomically

private:
    static constexpr int kWidth = 760, kHeight = 360, kLeft = 60, kTop = 34;
    static constexpr int kPlotWidth = 520, kPlotHeight = 280;
    static constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                              "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

    /// The smallest 1, 2 or 5 times a power of ten that is >= raw.
    static double nice_step(double raw) {
        const double power = std::pow(10.0, std::floor(std::log10(raw)));
        for (double m : {1.0, 2.0, 5.0, 10.0})
            if (m * power >= raw * (1 - 1e-9)) return m * power;
        return 10 * power;
    }

    template <class... Args>
    static std::string format(const char* pattern, Args... args) {
        char buffer[512];
        std::snprintf(buffer, sizeof buffer, pattern, args...);
        return buffer;
    }

    static std::string escape(const std::string& text) {
        std::string out;
        for (char c : text) {
            if (c == '<') out += "&lt;";
            else if (c == '>') out += "&gt;";
            else if (c == '&') out += "&amp;";
            else out += c;
        }
        return out;
    }

    /// One <polyline> per run of finite points.
    template <class Px, class Py>
    static std::string polylines(const PlotSeries& s, Px px, Py py, const char* color) {
        std::string out, points;
        const auto flush = [&] {
            if (!points.empty())
                out += format("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"",
                              color) + points + "\"/>\n";
            points.clear();
        };
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            if (!std::isfinite(s.y[i])) {
                flush();
                continue;
            }
            points += format("%s%.1f,%.1f", points.empty() ? "" : " ", px(s.x[i]), py(s.y[i]));
        }
        flush();
        return out;
    }

    std::string title_, x_label_, y_label_;
    std::vector<PlotSeries> series_;
};

}  // namespace grpo
