#include <doctest/doctest.h>

#include <cmath>
#include <grpo/io/svg_plot.hpp>
#include <string>

TEST_CASE("svg plot: points land where the axes say") {
    grpo::SvgPlot plot("reward <mean>", "step", "reward");
    plot.add({"mean", {0, 10}, {0, 1}});
    const std::string svg = plot.render();
    // y range 0..1 with step 0.2; x 0..10. Left edge x = 60, plot 520 wide; top y = 34, 280 tall.
    CHECK(svg.find("points=\"60.0,314.0 580.0,34.0\"") != std::string::npos);
    CHECK(svg.find("reward &lt;mean&gt;") != std::string::npos);  // escaped title
    CHECK(svg.find(">0.2</text>") != std::string::npos);          // a tick label
    CHECK(svg.rfind("</svg>\n") == svg.size() - 7);
}

TEST_CASE("svg plot: NaN leaves a gap, bad series are errors") {
    grpo::SvgPlot plot("t", "x", "y");
    plot.add({"a", {0, 1, 2, 3}, {1, NAN, 2, 3}});
    const std::string svg = plot.render();
    std::size_t lines = 0;
    for (std::size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++lines;
    CHECK(lines == 2);
    CHECK_THROWS_WITH_AS(plot.add({"b", {0, 1}, {1}}), "SvgPlot: series 'b' has 2 x values and 1 y values",
                         grpo::Error);
    grpo::SvgPlot empty("nothing", "x", "y");
    empty.add({"c", {0}, {NAN}});
    CHECK_THROWS_WITH_AS(empty.render(), "SvgPlot 'nothing': no finite points to draw", grpo::Error);
}
