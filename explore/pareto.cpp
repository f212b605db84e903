#include "explore/pareto.hpp"

#include <algorithm>
#include <map>

#include "common/errors.hpp"

namespace savp::explore {

std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& values) {
  // O(n^2 d): sweeps hold thousands of rows, not millions.
  std::vector<size_t> front;
  for (size_t i = 0; i < values.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < values.size() && !dominated; ++j) {
      if (i == j) continue;
      bool no_worse = true, better = false;
      for (size_t k = 0; k < values[i].size(); ++k) {
        no_worse = no_worse && values[j][k] <= values[i][k];
        better = better || values[j][k] < values[i][k];
      }
      dominated = no_worse && better;
    }
    if (!dominated) front.push_back(i);
  }
  return front;
}

std::vector<ResultStore::Sample> pareto_rows(const ResultStore& store,
                                             const std::vector<std::string>& figures,
                                             const std::string& network) {
  const std::vector<ResultStore::Sample> rows = store.ok_rows(figures);
  std::map<std::string, std::vector<const ResultStore::Sample*>> by_net;
  for (const auto& r : rows)
    if (network.empty() || r.network == network) by_net[r.network].push_back(&r);
  if (!network.empty() && by_net.empty()) {
    std::vector<std::string> names;
    for (const auto& r : rows)
      if (std::find(names.begin(), names.end(), r.network) == names.end())
        names.push_back(r.network);
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    throw Error("database " + store.path() + " has no successful row for network '" + network +
                "' (networks with results: " + (all.empty() ? "none" : all) + ")");
  }
  std::vector<ResultStore::Sample> out;
  for (const auto& [net, rs] : by_net) {
    std::vector<std::vector<double>> v;
    for (const auto* r : rs) v.push_back(r->values);
    std::vector<ResultStore::Sample> front;
    for (size_t i : pareto_front(v)) front.push_back(*rs[i]);
    std::stable_sort(front.begin(), front.end(),
                     [](const auto& a, const auto& b) { return a.values[0] < b.values[0]; });
    out.insert(out.end(), front.begin(), front.end());
  }
  return out;
}

}  // namespace savp::explore
