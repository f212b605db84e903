#include "platform/platform.hpp"

#include <fmt/format.h>
#include <systemc>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "common/errors.hpp"
#include "firmware/address_map.hpp"
#include "models/base/kernel_context.hpp"
#include "models/chunk/chunk.hpp"
#include "models/chunk/tile_kernels.hpp"
#include "models/controller/controller.hpp"
#include "models/dma/dma_engine.hpp"
#include "models/dram/dram.hpp"
#include "models/interconnect/interconnect.hpp"
#include "models/memory/sram.hpp"
#include "platform/dram_trace_recorder.hpp"
#include "platform/energy_model.hpp"
#include "platform/trace/run_tracing.hpp"

namespace savp {

using models::Chunk;
using models::Controller;
using models::DmaEngine;
using models::Dram;
using models::Interconnect;
using models::Sram;

namespace {
bool g_platform_alive = false;
}  // namespace

struct Platform::Impl {
  HwConfig hw;
  EnergyTable energy;
  sc_core::sc_time cycle;
  std::unique_ptr<Dram> dram;
  std::unique_ptr<Sram> glb;
  std::vector<std::unique_ptr<Sram>> bufs;  // chunk i: 3i ibuf, 3i+1 wbuf, 3i+2 obuf
  std::vector<std::unique_ptr<Chunk>> chunks;
  std::unique_ptr<DmaEngine> dma_load, dma_store;
  std::unique_ptr<Interconnect> noc;
  std::unique_ptr<Controller> ctrl;

  explicit Impl(const HwConfig& h, const EnergyTable& e) : hw(h), energy(e) {
    setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    models::fresh_kernel_context();
    cycle = sc_core::sc_time(hw.cycle_ns(), sc_core::SC_NS);
    noc = std::make_unique<Interconnect>("noc", hw.interconnect, cycle);
    dram = std::make_unique<Dram>("dram", hw.dram);
    glb = std::make_unique<Sram>("glb", hw.global_buffer, cycle);
    noc->out.bind(dram->in);  // bound first: out[0]
    noc->map(amap::kDramBase, hw.dram.capacity_bytes(), "dram");
    noc->out.bind(glb->in);
    noc->map(amap::kGlbBase, hw.global_buffer.capacity_bytes, "glb");
    std::vector<models::Engine*> engines(isa::kFirstChunkEngine);
    dma_load = std::make_unique<DmaEngine>("dma_load", hw.dma, cycle, "dma_load");
    dma_store = std::make_unique<DmaEngine>("dma_store", hw.dma, cycle, "dma_store");
    engines[isa::kEngineLoad] = dma_load.get();
    engines[isa::kEngineStore] = dma_store.get();
    for (size_t i = 0; i < hw.chunks.size(); ++i) {
      const ChunkConfig& c = hw.chunks[i];
      const int idx = static_cast<int>(i);
      const std::pair<const SramConfig*, amap::ChunkBuffer> parts[] = {
          {&c.ibuf, amap::ChunkBuffer::Ibuf},
          {&c.wbuf, amap::ChunkBuffer::Wbuf},
          {&c.obuf, amap::ChunkBuffer::Obuf}};
      const char* suffix[] = {"ibuf", "wbuf", "obuf"};
      for (int b = 0; b < 3; ++b) {
        bufs.push_back(std::make_unique<Sram>((c.name + "_" + suffix[b]).c_str(), *parts[b].first,
                                              cycle));
        noc->out.bind(bufs.back()->in);
        noc->map(amap::chunk_buffer_base(idx, parts[b].second), parts[b].first->capacity_bytes,
                 c.name + "." + suffix[b]);
      }
      chunks.push_back(std::make_unique<Chunk>(c.name.c_str(), c, idx, cycle, *bufs[3 * i],
                                               *bufs[3 * i + 1], *bufs[3 * i + 2]));
      engines.push_back(chunks.back().get());
    }
    sc_core::sc_time quantum(hw.simulation.quantum_ns, sc_core::SC_NS);
    ctrl = std::make_unique<Controller>("controller", hw.controller, cycle, quantum, engines);
    ctrl->fetch.bind(noc->in);
    dma_load->out.bind(noc->in);
    dma_store->out.bind(noc->in);
    for (auto& c : chunks) c->dmi_port.bind(noc->in);
  }

  void check_fits(const fw::Image& img) const {
    const uint64_t cap = hw.dram.capacity_bytes();
    const uint64_t code_bytes = img.code.size() * isa::kInstrBytes;
    if (img.code_base + code_bytes > cap || img.code_base + code_bytes < img.code_base)
      throw FirmwareError(fmt::format(
          "image code [{:#x}, {:#x}) lies outside the DRAM of {} ({:#x} bytes)", img.code_base,
          img.code_base + code_bytes, hw.name, cap));
    for (const fw::Segment& s : img.segments)
      if (s.addr + s.data.size() > cap)
        throw FirmwareError(fmt::format("image data segment [{:#x}, {:#x}) lies outside the DRAM "
                                        "of {} ({:#x} bytes)",
                                        s.addr, s.addr + s.data.size(), hw.name, cap));
    for (const fw::OutputRegion& o : img.outputs)
      if (o.addr + o.bytes > cap)
        throw FirmwareError(fmt::format("output region '{}' [{:#x}, {:#x}) lies outside the DRAM",
                                        o.name, o.addr, o.addr + o.bytes));
    const int num_chunks = static_cast<int>(hw.chunks.size());
    for (size_t i = 0; i < img.code.size(); ++i)
      if (std::string err = isa::validate(img.code[i], num_chunks); !err.empty())
        throw FirmwareError(fmt::format("instruction {} at {:#x} does not fit platform {}: {}", i,
                                        img.code_base + i * isa::kInstrBytes, hw.name, err));
  }

  // Every run starts on a quantum boundary: the temporally decoupled engines sync at quantum
  // boundaries, so a run's timing depends on its start's phase within the quantum; aligned, a
  // later run of an image on this platform repeats the first one cycle for cycle.
  void align_to_quantum() {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    const uint64_t start = std::max(now, ctrl->end_time()).value();
    const uint64_t q = sc_core::sc_time(hw.simulation.quantum_ns, sc_core::SC_NS).value();
    const uint64_t aligned = q == 0 ? start : (start + q - 1) / q * q;
    if (aligned > now.value()) {
      sc_core::sc_start(sc_core::sc_time::from_value(aligned) - now);
      models::resync_main_stack();
    }
  }

  void reset_all() {
    dram->storage().clear();
    // The DRAM's own clock (refresh phase, resource times) restarts where this run starts.
    sc_core::sc_time origin = std::max(sc_core::sc_time_stamp(), ctrl->end_time());
    dram->timing().reset_stats(static_cast<uint64_t>(origin.to_seconds() * 1e12 + 0.5));
    glb->reset_stats();
    std::fill(glb->data(), glb->data() + glb->size(), 0);
    for (auto& b : bufs) {
      b->reset_stats();
      std::fill(b->data(), b->data() + b->size(), 0);
    }
    for (auto& c : chunks) c->reset_stats();
    dma_load->reset_stats();
    dma_store->reset_stats();
    noc->reset_stats();
  }

  RunResult collect(const RunOptions& opt, double wall_s);

  // Per-layer accounting (RunOptions::layers), filled by the controller's observer.
  struct LayerAcc {
    bool seen = false;
    sc_core::sc_time first, last;
    uint64_t instructions = 0, compute_cycles = 0, pe_ops = 0, vector_ops = 0, dma_bytes = 0;
    uint64_t decompress_cycles = 0;
    double compute_pj = 0.0;  // PE + vector + decompressor energy
    double decompress_pj = 0.0;
    int chunk = -1;
  };
  std::vector<LayerAcc> layer_acc;
  std::vector<int> layer_of;  // instruction index -> span index, -1: none
  models::InstrObserver layer_observer;  // also fed by trace::RunTracing when tracing
  std::unique_ptr<trace::VcdRecorder> vcd;  // --vcd: a SystemC module, made by the first run
  void install_layer_observer(const fw::Image& img, const RunOptions& opt);
  void fill_layers(const RunOptions& opt, RunResult& r) const;
};

void Platform::Impl::install_layer_observer(const fw::Image& img, const RunOptions& opt) {
  layer_acc.assign(opt.layers.size(), LayerAcc{});
  layer_of.assign(img.code.size(), -1);
  if (opt.layers.empty()) {
    layer_observer = nullptr;
    ctrl->set_observer(nullptr);
    return;
  }
  for (size_t s = 0; s < opt.layers.size(); ++s)
    for (uint64_t i = opt.layers[s].first; i < opt.layers[s].last && i < img.code.size(); ++i)
      layer_of[i] = static_cast<int>(s);
  const uint64_t base = img.code_base;
  layer_observer = [this, base](int engine, uint64_t pc, const isa::Instruction& in,
                                  sc_core::sc_time, sc_core::sc_time start,
                                  sc_core::sc_time finish) {
    if (pc < base) return;
    const uint64_t idx = (pc - base) / isa::kInstrBytes;
    if (idx >= layer_of.size() || layer_of[idx] < 0) return;
    LayerAcc& a = layer_acc[static_cast<size_t>(layer_of[idx])];
    if (!a.seen || start < a.first) a.first = start;
    if (!a.seen || finish > a.last) a.last = finish;
    a.seen = true;
    ++a.instructions;
    if (engine >= isa::kFirstChunkEngine) {
      const int c = engine - isa::kFirstChunkEngine;
      const ChunkConfig& cc = hw.chunks[static_cast<size_t>(c)];
      a.chunk = c;
      a.compute_cycles += static_cast<uint64_t>((finish - start) / cycle + 0.5);
      // The same costs the chunk counts in its statistics (models/chunk/chunk.cpp).
      const chunk::TileCost cost = chunk::tile_cost(cc, in);
      a.vector_ops += cost.vector_ops;
      a.compute_pj += static_cast<double>(cost.vector_ops) * energy.vector_op_pj;
      if (cost.decompress_weights > 0) {
        const double d = static_cast<double>(cost.decompress_weights) *
                         (in.get(isa::kWFormat) == 1 ? energy.decompress_packed_pj
                                                     : energy.decompress_bitmask_pj);
        a.decompress_cycles += cost.decompress_cycles;
        a.decompress_pj += d;
        a.compute_pj += d;
      }
      const isa::ComputeOp op = in.compute_op();
      if (op == isa::ComputeOp::Conv || op == isa::ComputeOp::DwConv) {
        a.pe_ops += cost.pe_ops;
        a.compute_pj += static_cast<double>(cost.pe_ops) *
                            energy.pe_op(cc.kind, static_cast<int>(in.get(isa::kWBits))) +
                        static_cast<double>(cost.shadow_writes) * energy.fold_overlap_pj_per_output;
      }
    } else {
      a.dma_bytes += in.get(isa::kRows) * in.get(isa::kRowBytes);
    }
  };
  ctrl->set_observer(layer_observer);
}

void Platform::Impl::fill_layers(const RunOptions& opt, RunResult& r) const {
  r.layers.clear();
  r.totals = LayerReport{};
  if (opt.layers.empty()) return;
  uint64_t all_bytes = 0, all_instrs = 0, all_cycles = 0;
  auto span_cycles = [&](const LayerAcc& a) {
    return a.seen ? static_cast<uint64_t>((a.last - a.first) / cycle + 0.5) : 0;
  };
  for (const LayerAcc& a : layer_acc)
    all_bytes += a.dma_bytes, all_instrs += a.instructions, all_cycles += span_cycles(a);
  auto comp = [&](const char* k) {
    auto it = r.energy.by_component.find(k);
    return it == r.energy.by_component.end() ? 0.0 : it->second;
  };
  const double moved = comp("sram") + comp("dram") + comp("interconnect");
  const double ctrl_pj = comp("controller"), leak_pj = comp("leakage");
  LayerReport& t = r.totals;
  t.name = "total";
  t.chunk = "-";
  for (size_t s = 0; s < opt.layers.size(); ++s) {
    const LayerSpan& sp = opt.layers[s];
    const LayerAcc& a = layer_acc[s];
    LayerReport l;
    l.name = sp.name;
    l.op = sp.op;
    l.chunk = a.chunk >= 0 ? hw.chunks[static_cast<size_t>(a.chunk)].name : "-";
    l.instructions = a.instructions;
    l.cycles = span_cycles(a);
    l.compute_cycles = a.compute_cycles;
    l.stall_cycles = l.cycles > l.compute_cycles ? l.cycles - l.compute_cycles : 0;
    l.predicted_cycles = sp.predicted_cycles;
    l.roofline_cycles = sp.roofline_cycles;
    l.pe_ops = a.pe_ops;
    l.vector_ops = a.vector_ops;
    l.dma_bytes = a.dma_bytes;
    if (s < opt.layer_weights.size()) {
      l.weight_format = opt.layer_weights[s].format;
      l.weight_bytes_raw = opt.layer_weights[s].raw_bytes;
      l.weight_bytes_stored = opt.layer_weights[s].stored_bytes;
    }
    l.decompress_cycles = a.decompress_cycles;
    l.decompress_energy_pj = a.decompress_pj;
    l.energy_pj = a.compute_pj +
                  (all_bytes ? moved * static_cast<double>(a.dma_bytes) / all_bytes : 0.0) +
                  (all_instrs ? ctrl_pj * static_cast<double>(a.instructions) / all_instrs : 0.0) +
                  (all_cycles ? leak_pj * static_cast<double>(l.cycles) / all_cycles : 0.0);
    if (a.chunk >= 0 && l.cycles > 0) {
      const ChunkConfig& cc = hw.chunks[static_cast<size_t>(a.chunk)];
      l.pe_utilization = static_cast<double>(l.pe_ops) /
                         (static_cast<double>(l.cycles) * cc.rows * cc.cols);
    }
    t.instructions += l.instructions;
    t.compute_cycles += l.compute_cycles;
    t.predicted_cycles += l.predicted_cycles;
    t.roofline_cycles += l.roofline_cycles;
    t.pe_ops += l.pe_ops;
    t.vector_ops += l.vector_ops;
    t.dma_bytes += l.dma_bytes;
    t.weight_bytes_raw += l.weight_bytes_raw;
    t.weight_bytes_stored += l.weight_bytes_stored;
    t.decompress_cycles += l.decompress_cycles;
    t.decompress_energy_pj += l.decompress_energy_pj;
    t.energy_pj += l.energy_pj;
    r.layers.push_back(std::move(l));
  }
  t.cycles = r.cycles;
  t.stall_cycles = t.cycles > t.compute_cycles ? t.cycles - t.compute_cycles : 0;
  double pes = 0;
  for (const ChunkConfig& cc : hw.chunks) pes += static_cast<double>(cc.rows) * cc.cols;
  t.pe_utilization = t.cycles && pes > 0 ? t.pe_ops / (static_cast<double>(t.cycles) * pes) : 0.0;
}

Platform::Platform(const HwConfig& hw, const EnergyTable& energy) {
  if (g_platform_alive)
    throw Error("only one Platform can exist per process at a time (SystemC has one kernel)");
  // The energy of a run needs the DRAM family's entries: a table without them fails here,
  // not after the whole simulation.
  energy.dram_bit(dram_family(hw.dram.preset));
  energy.dram_activate(dram_family(hw.dram.preset));
  impl_ = std::make_unique<Impl>(hw, energy);
  g_platform_alive = true;
}

Platform::~Platform() { g_platform_alive = false; }

const HwConfig& Platform::config() const { return impl_->hw; }

namespace {
// Runs the kernel until it starves (HALT, a fault or a deadlock). With a wall-clock limit it
// runs in slices of simulated time, checking the clock between slices, and returns true when
// the limit passed while the kernel still had work. A slice is 100 quanta (at least 1 us): the
// engines sync once per quantum, and each slice costs one sc_start call.
bool run_kernel(double max_wall_s, double quantum_ns, std::chrono::steady_clock::time_point t0) {
  if (max_wall_s <= 0) {
    sc_core::sc_start();
    models::resync_main_stack();  // the caller throws on a failed run (kernel_context.hpp)
    return false;
  }
  const sc_core::sc_time slice(std::max(100.0 * quantum_ns, 1000.0), sc_core::SC_NS);
  for (;;) {
    sc_core::sc_start(slice, sc_core::SC_EXIT_ON_STARVATION);
    const bool done = !sc_core::sc_pending_activity();
    const bool late =
        !done &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > max_wall_s;
    if (done || late) {
      models::resync_main_stack();
      return late;
    }
  }
}
}  // namespace

RunResult Platform::run(const fw::Image& img, const RunOptions& opt) {
  Impl& p = *impl_;
  p.check_fits(img);
  p.align_to_quantum();
  p.reset_all();
  for (const fw::Segment& s : img.segments) p.dram->load(s.addr, s.data.data(), s.data.size());
  std::vector<uint8_t> code(img.code.size() * isa::kInstrBytes);
  for (size_t i = 0; i < img.code.size(); ++i) isa::encode(img.code[i], &code[i * isa::kInstrBytes]);
  p.dram->load(img.code_base, code.data(), code.size());
  for (auto& c : p.chunks) c->set_functional(opt.functional);
  p.install_layer_observer(img, opt);
  std::unique_ptr<DramTraceRecorder> dram_rec;  // --dram-trace
  if (!opt.dram_trace.empty())
    dram_rec = std::make_unique<DramTraceRecorder>(opt.dram_trace, *p.dram);
  std::unique_ptr<trace::RunTracing> tracing;  // --trace, --vcd
  if (opt.trace.any())  // the run starts where Controller::start will put it
    tracing = std::make_unique<trace::RunTracing>(
        opt, p.hw, img, std::max(sc_core::sc_time_stamp(), p.ctrl->end_time()), *p.ctrl, *p.dram,
        *p.dma_load, *p.dma_store, p.vcd, p.layer_observer);

  auto t0 = std::chrono::steady_clock::now();
  p.ctrl->start(img.code_base, img.code.size(),
                sc_core::sc_time(opt.max_sim_time_us, sc_core::SC_US));
  const bool wall_stopped = run_kernel(opt.max_wall_s, p.hw.simulation.quantum_ns, t0);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  auto outcome = p.ctrl->outcome();
  if (wall_stopped || outcome != Controller::Outcome::Halted) {
    std::string msg;
    if (wall_stopped) {
      msg = fmt::format("wall-clock limit of {:g} s reached before HALT (max_wall_s; {:.3f} s "
                        "elapsed, simulated time {})",
                        opt.max_wall_s, wall, sc_core::sc_time_stamp().to_string());
    } else if (outcome == Controller::Outcome::Fault) {
      msg = p.ctrl->fault_message();
    } else {
      msg = "deadlock: no engine can make progress before HALT (a wait that can never be "
            "satisfied)";
    }
    std::string states = p.ctrl->engine_states();
    if (tracing) tracing->finish(false, msg);
    tracing.reset();
    p.ctrl->abort_run();
    if (sc_core::sc_pending_activity()) {
      sc_core::sc_start();  // let blocked threads unwind
      models::resync_main_stack();
    }
    throw SimulationError(msg + "\nengine states:\n" + states);
  }
  if (tracing) tracing->finish(true, "");
  tracing.reset();
  RunResult r = p.collect(opt, wall);
  if (dram_rec)
    dram_rec->finish(static_cast<uint64_t>(p.ctrl->end_time().to_seconds() * 1e12 + 0.5));
  p.fill_layers(opt, r);
  for (const fw::OutputRegion& o : img.outputs) {
    std::vector<uint8_t> bytes(o.bytes);
    p.dram->dump(o.addr, bytes.data(), bytes.size());
    r.outputs[o.name] = std::move(bytes);
  }
  return r;
}

RunResult Platform::Impl::collect(const RunOptions& opt, double wall_s) {
  RunResult r;
  r.hw_name = hw.name;
  r.image_name = opt.image_name;
  r.clock_mhz = hw.clock_mhz;
  const sc_core::sc_time span = ctrl->end_time() - ctrl->start_time();
  r.cycles = static_cast<uint64_t>(span / cycle + 0.5);
  r.latency_us = span.to_seconds() * 1e6;
  auto cycles_of = [&](sc_core::sc_time t) { return static_cast<uint64_t>(t / cycle + 0.5); };

  const auto& es = ctrl->engine_stats();
  for (size_t e = 0; e < es.size(); ++e) {
    EngineReport er;
    er.instructions = es[e].instructions;
    er.busy_cycles = cycles_of(es[e].busy);
    er.stall_cycles = cycles_of(es[e].stall);
    er.idle_cycles = r.cycles > er.busy_cycles + er.stall_cycles
                         ? r.cycles - er.busy_cycles - er.stall_cycles
                         : 0;
    er.utilization = r.cycles ? static_cast<double>(er.busy_cycles) / r.cycles : 0.0;
    if (static_cast<int>(e) < isa::kFirstChunkEngine) {
      const DmaEngine& d = e == isa::kEngineLoad ? *dma_load : *dma_store;
      er.name = d.engine_label();
      er.kind = "dma";
      er.bytes = d.stats().bytes;
      er.bursts = d.stats().bursts;
    } else {
      const Chunk& c = *chunks[e - isa::kFirstChunkEngine];
      er.name = c.config().name;
      er.kind = to_string(c.config().kind);
      er.pe_ops = c.stats().pe_ops;
      er.vector_ops = c.stats().vector_ops;
      er.decompress_cycles = c.stats().decompress_cycles;
      er.decompressed_weights =
          c.stats().decompressed_weights[1] + c.stats().decompressed_weights[2];
      double pes = static_cast<double>(c.config().rows) * c.config().cols;
      er.pe_utilization = r.cycles ? er.pe_ops / (static_cast<double>(r.cycles) * pes) : 0.0;
    }
    r.engines.push_back(er);
  }

  auto buf_report = [](const std::string& name, const Sram& s) {
    BufferReport b;
    b.name = name;
    b.capacity_bytes = s.config().capacity_bytes;
    b.port_width_bytes = s.config().port_width_bytes;
    b.reads = s.stats().reads;
    b.writes = s.stats().writes;
    b.read_bytes = s.stats().read_bytes;
    b.write_bytes = s.stats().write_bytes;
    return b;
  };
  r.buffers.push_back(buf_report("glb", *glb));
  const char* suffix[] = {"ibuf", "wbuf", "obuf"};
  for (size_t i = 0; i < bufs.size(); ++i)
    r.buffers.push_back(buf_report(hw.chunks[i / 3].name + "." + suffix[i % 3], *bufs[i]));

  // Count the refreshes that fell in idle time up to the end of the run.
  dram->timing().advance_to(static_cast<uint64_t>(ctrl->end_time().to_seconds() * 1e12 + 0.5));
  const dram::DramStats& ds = dram->timing().stats();
  DramReport& d = r.dram;
  d.preset = hw.dram.preset;
  d.page_policy = to_string(hw.dram.page_policy);
  d.reads = ds.reads;
  d.writes = ds.writes;
  d.read_bytes = ds.read_bytes;
  d.write_bytes = ds.write_bytes;
  d.activates = ds.activates;
  d.precharges = ds.precharges;
  d.refreshes = ds.refreshes;
  d.row_hits = ds.row_hits;
  d.row_misses = ds.row_misses;
  d.row_conflicts = ds.row_conflicts;
  d.peak_bandwidth_gbps = hw.dram.peak_bandwidth_gbps();
  d.bandwidth_gbps =
      r.latency_us > 0 ? (d.read_bytes + d.write_bytes) / (r.latency_us * 1e3) : 0.0;
  uint64_t requests = ds.requests;
  d.avg_latency_ns = requests ? ds.total_latency_ps / 1e3 / requests : 0.0;
  d.max_latency_ns = ds.max_latency_ps / 1e3;
  for (const auto& b : ds.banks) d.banks.push_back(BankReport{b.hits, b.misses, b.conflicts});

  ActivityCounts act;
  for (const auto& c : chunks)
    act.chunks.push_back(ChunkActivity{c->stats().pe_ops_by_bits, c->stats().vector_ops,
                                       c->stats().decompressed_weights[1],
                                       c->stats().decompressed_weights[2],
                                       c->stats().shadow_writes});
  act.interconnect_bytes = noc->stats().bytes;
  act.controller_instructions = ctrl->stats().instructions;
  account_energy_and_area(hw, energy, act, r);

  r.simulator.wall_seconds = wall_s;
  r.simulator.transactions = noc->stats().transactions;
  r.simulator.instructions = ctrl->stats().instructions;
  r.simulator.transactions_per_second = wall_s > 0 ? r.simulator.transactions / wall_s : 0.0;
  r.simulator.simulated_cycles_per_second = wall_s > 0 ? r.cycles / wall_s : 0.0;
  return r;
}

}  // namespace savp
