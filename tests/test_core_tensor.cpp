#include <doctest/doctest.h>

#include <grpo/grpo.hpp>
#include <string>
#include <vector>

using Tf = grpo::Tensor<float, grpo::Cpu>;
using Td = grpo::Tensor<double, grpo::Cpu>;
using grpo::Shape;

// The message of the grpo::Error that `fn` throws ("" if it throws none).
template <class F>
std::string error_of(F fn) {
    try {
        fn();
    } catch (const grpo::Error& e) {
        return e.what();
    }
    return "";
}

TEST_CASE("Tensor creation: zeros, ones, from values, shape and size") {
    const Tf z = Tf::zeros({2, 3});
    CHECK(z.shape() == Shape{2, 3});
    CHECK(z.numel() == 6);
    CHECK(z.to_host() == std::vector<float>(6, 0.0f));
    CHECK(Tf::ones({4}).to_host() == std::vector<float>(4, 1.0f));
    const Td t = Td::from({2, 2}, {1, 2, 3, 4});
    CHECK(t.to_host() == std::vector<double>{1, 2, 3, 4});
    CHECK(Td::from(Shape{}, {7}).item() == 7.0);
    CHECK(Shape{2, 3}.to_string() == "(2, 3)");
    CHECK(Shape{}.numel() == 1);
}

TEST_CASE("Tensor random creation is reproducible from an explicit Rng") {
    grpo::Rng a(7), b(7), c(8);
    const auto x = Td::randn({3, 4}, a).to_host();
    CHECK(x == Td::randn({3, 4}, b).to_host());
    CHECK(x != Td::randn({3, 4}, c).to_host());
    grpo::Rng u(1);
    for (double v : Td::uniform({100}, u, -2.0, 3.0).to_host()) {
        CHECK(v >= -2.0);
        CHECK(v < 3.0);
    }
}

TEST_CASE("Tensor views: reshape and leading-dimension slices share storage") {
    Td t = Td::from({3, 2}, {0, 1, 2, 3, 4, 5});
    const Td r = t.reshape({2, 3});
    CHECK(r.shares_storage_with(t));
    const Td s = t.slice(1, 3);
    CHECK(s.shape() == Shape{2, 2});
    CHECK(s.to_host() == std::vector<double>{2, 3, 4, 5});
    CHECK(t[2].shape() == Shape{2});
    CHECK(t[2].to_host() == std::vector<double>{4, 5});
    t.copy_from_host({9, 9, 9, 9, 9, 9});
    CHECK(s.to_host() == std::vector<double>{9, 9, 9, 9});  // the view sees the write
    const Td c = t.clone();
    CHECK_FALSE(c.shares_storage_with(t));
}

TEST_CASE("Tensor shape, rank and index errors name the shapes") {
    const Td t = Td::zeros({3, 2});
    CHECK(error_of([&] { (void)t.reshape({4, 2}); }).find("(3, 2)") != std::string::npos);
    CHECK(error_of([&] { (void)t.slice(2, 4); }).find("[2, 4) is out of range for shape (3, 2)") != std::string::npos);
    CHECK(error_of([&] { (void)t[3]; }).find("index 3 is out of range for shape (3, 2)") != std::string::npos);
    CHECK(error_of([&] { (void)Td::from({2, 2}, {1, 2, 3}); }).find("(2, 2) holds 4 values, got 3") != std::string::npos);
    CHECK(error_of([&] { (void)Shape{1, 2, 3, 4, 5}; }).find("rank 5 > 4") != std::string::npos);
    CHECK(error_of([&] { (void)t.item(); }).find("(3, 2) has 6 elements") != std::string::npos);
}

TEST_CASE("the CPU allocator counts the bytes in use and their peak") {
    const auto in_use = [] { return grpo::Cpu::memory_stats().in_use_bytes; };
    const std::size_t base = in_use();
    grpo::Cpu::reset_peak_memory();
    CHECK(grpo::Cpu::memory_stats().peak_bytes == base);
    {
        // 1000 floats = 4000 bytes, rounded up to a multiple of 64: 4032.
        const Tf a = Tf::empty({1000});
        CHECK(in_use() == base + 4032);
        {
            const Tf view = a.reshape({10, 100});  // a view: no new storage
            CHECK(in_use() == base + 4032);
            const Td b = Td::zeros({3});  // 24 bytes take the smallest block, 64
            CHECK(in_use() == base + 4032 + 64);
        }
        CHECK(in_use() == base + 4032);
    }
    CHECK(in_use() == base);
    CHECK(grpo::Cpu::memory_stats().peak_bytes == base + 4032 + 64);

    // A large block goes back to the cache when freed and comes out of it again: it counts
    // while a tensor holds it, not while the cache does.
    grpo::Cpu::reset_peak_memory();
    CHECK(grpo::Cpu::memory_stats().peak_bytes == base);
    const std::size_t large = std::size_t{1} << 20;  // 1 MiB = 262144 floats, a multiple of 64
    { const Tf a = Tf::empty({static_cast<std::int64_t>(large / 4)}); }
    CHECK(in_use() == base);
    const std::size_t cached = grpo::CpuBlockCache::instance().held_bytes();
    CHECK(cached >= large);
    {
        const Tf again = Tf::empty({static_cast<std::int64_t>(large / 4)});
        CHECK(grpo::CpuBlockCache::instance().held_bytes() == cached - large);  // the cached block
        CHECK(in_use() == base + large);
    }
    CHECK(grpo::Cpu::memory_stats().peak_bytes == base + large);
}
