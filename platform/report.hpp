// The run report, defined once (STYLE.md habit 6): the JSON document (schema in README.md,
// "Report schema") and the same numbers as a readable table.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "platform/run_result.hpp"

namespace savp {

constexpr int kReportSchemaVersion = 1;

nlohmann::json report_json(const RunResult& r);
std::string report_text(const RunResult& r);
// Writes the JSON report atomically (temporary file, then rename): an interrupted write
// never leaves a truncated report. Throws savp::Error on I/O failure.
void write_report(const RunResult& r, const std::string& path);

}  // namespace savp
