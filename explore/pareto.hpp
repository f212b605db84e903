// Pareto fronts over stored sweep results: the non-dominated (point, network) rows when every
// figure is minimised. A row dominates another when it is no worse in every figure and better
// in at least one (rows equal in every figure are all kept).
#pragma once

#include <string>
#include <vector>

#include "explore/result_store.hpp"

namespace savp::explore {

// Indices of the non-dominated rows of `values` (each row: one value per figure), in order.
std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& values);

// The front of each network's rows (the networks are not comparable with each other), in
// network order then by the first figure.
std::vector<ResultStore::Sample> pareto_rows(const ResultStore& store,
                                             const std::vector<std::string>& figures,
                                             const std::string& network = "");

}  // namespace savp::explore
