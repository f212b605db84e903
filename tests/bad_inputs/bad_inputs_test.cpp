// The bad-input corpus (issue 6): every line of tests/bad_inputs/cases.txt runs the savp binary
// on one bad file and checks that it fails the way the README promises: exit status 1 (never a
// crash, a signal or the internal-error status 2), "savp: error: " and the expected message on
// stderr, no sanitizer report, and existing results (--report) and images (-o) left untouched.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
const std::string kSavp = std::string(SAVP_BINARY_DIR) + "/app/savp";
const std::string kSrc = SAVP_SOURCE_DIR;
const std::string kDir = kSrc + "/tests/bad_inputs";

struct Case {
  int line = 0;          // in cases.txt
  std::string file;      // corpus file, relative to tests/bad_inputs
  std::string args;      // savp arguments with placeholders
  std::string expected;  // substring of the error message
};

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  const size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  std::ifstream f(kDir + "/cases.txt");
  std::string line;
  for (int n = 1; std::getline(f, line); ++n) {
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const size_t a = line.find(" | ");
    const size_t b = a == std::string::npos ? a : line.find(" | ", a + 3);
    Case c;
    c.line = n;
    if (b == std::string::npos) {  // reported by the ManifestIsWellFormed test
      c.file = "<malformed line " + std::to_string(n) + ">";
    } else {
      c.file = trim(line.substr(0, a));
      c.args = trim(line.substr(a + 3, b - a - 3));
      c.expected = trim(line.substr(b + 3));
    }
    cases.push_back(c);
  }
  return cases;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = load_cases();
  return all;
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
}

struct Result {
  int status = -1;  // exit status, -1 if killed by a signal
  int signal = 0;
  std::string out, err;
};

// Runs savp with `args` (split at spaces, each quoted for the shell).
Result run_savp(const std::string& args, const fs::path& dir) {
  std::string cmd = "'" + kSavp + "'";
  std::istringstream words(args);
  for (std::string w; words >> w;) cmd += " '" + w + "'";
  const std::string err_path = (dir / "stderr.txt").string();
  cmd += " 2>'" + err_path + "'";
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int st = pclose(p);
  if (WIFEXITED(st)) r.status = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) r.signal = WTERMSIG(st);
  r.err = read_bytes(err_path);
  return r;
}

// `savp nas` exists only in a LibTorch build (-DSAVP_WITH_TORCH); its cases are skipped where
// the binary has no such subcommand.
bool savp_has_nas() {
  static const bool has = [] {
    const fs::path dir = fs::temp_directory_path() / "savp_bad_nas_probe";
    fs::create_directories(dir);
    const bool ok = run_savp("nas --help", dir).status == 0;
    fs::remove_all(dir);
    return ok;
  }();
  return has;
}

class BadInput : public ::testing::TestWithParam<Case> {};

TEST_P(BadInput, FailsWithItsMessageAndLeavesResultsAlone) {
  const Case& c = GetParam();
  ASSERT_FALSE(c.args.empty()) << "cases.txt:" << c.line << ": expected FILE | ARGS | EXPECTED";
  if (c.args.rfind("nas ", 0) == 0 && !savp_has_nas())
    GTEST_SKIP() << "savp was built without LibTorch (no `savp nas`)";
  const fs::path dir = fs::temp_directory_path() /
                       ("savp_bad_" + std::to_string(c.line) + "_" + fs::path(c.file).stem().string());
  fs::remove_all(dir);
  fs::create_directories(dir);

  // Existing results that a failing run must not touch.
  const std::string report = (dir / "results.json").string();
  const std::string report_text = "{\"sentinel\": \"results of an earlier run\"}\n";
  std::ofstream(report, std::ios::binary) << report_text;
  const std::string out = (dir / "existing.img").string();
  const std::string out_bytes = read_bytes(kSrc + "/tests/fuzz/image/halt.img");
  ASSERT_FALSE(out_bytes.empty());
  std::ofstream(out, std::ios::binary) << out_bytes;

  const std::string file = kDir + "/" + c.file;
  std::string args = c.args;
  if (args.find("{image}") != std::string::npos) {
    const std::string image = (dir / "input.img").string();
    Result a = run_savp("asm " + file + " -o " + image, dir);
    ASSERT_EQ(a.status, 0) << "assembling " << c.file << " failed:\n" << a.err;
    replace_all(args, "{image}", image);
  }
  if (args.find("{energy_hw}") != std::string::npos) {
    const std::string hw = (dir / "energy_hw.yaml").string();
    std::ofstream(hw) << read_bytes(kDir + "/valid_hw.yaml") << "energy_table: " << file << "\n";
    replace_all(args, "{energy_hw}", hw);
  }
  replace_all(args, "{file}", file);
  replace_all(args, "{src}", kSrc);
  replace_all(args, "{report}", report);
  replace_all(args, "{out}", out);
  // {tmp}: an output folder that does not exist yet (savp nas --out); a failing run must not
  // leave one behind.
  const std::string tmp = (dir / "out").string();
  replace_all(args, "{tmp}", tmp);

  Result r = run_savp(args, dir);
  SCOPED_TRACE("cases.txt:" + std::to_string(c.line) + ": savp " + args);
  EXPECT_EQ(r.signal, 0) << "savp was killed by signal " << r.signal << "\n" << r.err;
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("savp: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(c.expected), std::string::npos)
      << "expected: " << c.expected << "\ngot: " << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Sanitizer"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("runtime error:"), std::string::npos) << r.err;  // UBSan
  EXPECT_EQ(read_bytes(report), report_text) << "the existing report was changed";
  EXPECT_FALSE(fs::exists(report + ".tmp")) << "a partial report was left behind";
  EXPECT_EQ(read_bytes(out), out_bytes) << "the existing image was changed";
  EXPECT_FALSE(fs::exists(tmp)) << "the failing run created its output folder " << tmp;
  fs::remove_all(dir);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string n = "L" + std::to_string(info.param.line) + "_" + fs::path(info.param.file).stem().string();
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInput, ::testing::ValuesIn(cases()), case_name);

// Every corpus file has a line in cases.txt (one file per failure mode, paired with its
// message), and every line names a file that exists or, for the missing-file cases, one that
// must not.
TEST(BadInputCorpus, EveryFileHasACaseAndEveryCaseAFile) {
  std::set<std::string> named;
  for (const Case& c : cases()) {
    EXPECT_FALSE(c.args.empty()) << "cases.txt:" << c.line << ": expected FILE | ARGS | EXPECTED";
    EXPECT_FALSE(c.expected.empty()) << "cases.txt:" << c.line;
    named.insert(c.file);
    const bool missing_case = c.file.rfind("no-such-", 0) == 0;
    EXPECT_EQ(fs::exists(kDir + "/" + c.file), !missing_case) << "cases.txt:" << c.line;
  }
  // valid_hw.yaml and hw_packed2.yaml are the valid platforms some cases run on.
  const std::set<std::string> not_cases = {"cases.txt", "bad_inputs_test.cpp", "valid_hw.yaml",
                                           "hw_packed2.yaml"};
  for (const auto& e : fs::directory_iterator(kDir)) {
    const std::string name = e.path().filename().string();
    if (not_cases.count(name)) continue;
    EXPECT_TRUE(named.count(name)) << name << " has no case in cases.txt";
  }
  EXPECT_GE(cases().size(), 100u);
}

}  // namespace
