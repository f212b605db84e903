// Small harness modules for the model tests (STYLE.md habit 8): a thread that runs a test
// body inside the simulation, an initiator with one socket, and a memory target with a fixed
// access time that records every timed access it sees. Each test calls
// models::fresh_kernel_context() before it constructs any of these.
#pragma once

#include "common/hw_config.hpp"

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/base/memory_target.hpp"

namespace savp::models::test {

inline sc_core::sc_time ns(double v) { return sc_core::sc_time(v, sc_core::SC_NS); }

// The SRAM the model tests use: 4 banks x 16-byte ports = 64 bytes per cycle; 4 KiB (a
// multiple of the 64-byte stripe); read latency 3 cycles, write latency 2 cycles.
inline SramConfig small_sram() {
  SramConfig c;
  c.capacity_bytes = 4096;
  c.banks = 4;
  c.port_width_bytes = 16;
  c.read_latency_cycles = 3;
  c.write_latency_cycles = 2;
  return c;
}

// Runs `body` once, as an SC_THREAD, when the simulation starts; the body may wait().
class TestThread : public sc_core::sc_module {
 public:
  std::function<void()> body;

  SC_HAS_PROCESS(TestThread);
  explicit TestThread(sc_core::sc_module_name name) : sc_core::sc_module(name) { SC_THREAD(run); }

 private:
  void run() {
    if (body) body();
  }
};

// A test initiator: one socket, and helpers for one blocking transaction.
class TestInitiator : public TestThread {
 public:
  tlm_utils::simple_initiator_socket<TestInitiator> out;
  tlm::tlm_generic_payload trans;
  // Ranges the target (or the interconnect) invalidated, in the order they came.
  std::vector<std::pair<uint64_t, uint64_t>> invalidated;

  explicit TestInitiator(sc_core::sc_module_name name) : TestThread(name), out("out") {
    out.register_invalidate_direct_mem_ptr(this, &TestInitiator::invalidate);
  }

  // One b_transport of `len` bytes; `delay` is the local-time offset in and out.
  tlm::tlm_response_status transport(tlm::tlm_command cmd, uint64_t addr, uint8_t* data,
                                     unsigned len, sc_core::sc_time& delay) {
    prepare(cmd, addr, data, len);
    out->b_transport(trans, delay);
    return trans.get_response_status();
  }
  tlm::tlm_response_status read(uint64_t addr, uint8_t* data, unsigned len,
                                sc_core::sc_time& delay) {
    return transport(tlm::TLM_READ_COMMAND, addr, data, len, delay);
  }
  tlm::tlm_response_status write(uint64_t addr, uint8_t* data, unsigned len,
                                 sc_core::sc_time& delay) {
    return transport(tlm::TLM_WRITE_COMMAND, addr, data, len, delay);
  }
  unsigned debug(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, unsigned len) {
    prepare(cmd, addr, data, len);
    return out->transport_dbg(trans);
  }
  bool dmi(uint64_t addr, tlm::tlm_dmi& d) {
    prepare(tlm::TLM_READ_COMMAND, addr, nullptr, 0);
    return out->get_direct_mem_ptr(trans, d);
  }

 private:
  void prepare(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, unsigned len) {
    trans.set_command(cmd);
    trans.set_address(addr);
    trans.set_data_ptr(data);
    trans.set_data_length(len);
    trans.set_streaming_width(len);
    trans.set_byte_enable_ptr(nullptr);
    trans.set_dmi_allowed(false);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  }
  void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { invalidated.emplace_back(start, end); }
};

// A memory that adds a fixed `latency` to every timed access (zero by default), logs each
// one with the local address and the arrival time (kernel time + annotated delay), and
// offers DMI to all of itself when `dmi` is set.
class TestMemory : public MemoryTarget {
 public:
  struct Access {
    bool write;
    uint64_t addr;
    unsigned len;
    sc_core::sc_time arrival;
  };
  std::vector<uint8_t> bytes;
  std::vector<Access> log;

  TestMemory(sc_core::sc_module_name name, uint64_t size,
             sc_core::sc_time latency = sc_core::SC_ZERO_TIME, bool dmi = false)
      : MemoryTarget(name, size), bytes(size), latency_(latency), dmi_(dmi) {}

  // Tells every initiator behind `in` that [start, end] of this memory is no longer DMI.
  void invalidate(uint64_t start, uint64_t end) { in->invalidate_direct_mem_ptr(start, end); }

 protected:
  void read(uint64_t addr, uint8_t* dst, unsigned len, sc_core::sc_time& delay) override {
    std::memcpy(dst, bytes.data() + addr, len);
    timed(false, addr, len, delay);
  }
  void write(uint64_t addr, const uint8_t* src, unsigned len, sc_core::sc_time& delay) override {
    std::memcpy(bytes.data() + addr, src, len);
    timed(true, addr, len, delay);
  }
  void debug_read(uint64_t addr, uint8_t* dst, unsigned len) override {
    std::memcpy(dst, bytes.data() + addr, len);
  }
  void debug_write(uint64_t addr, const uint8_t* src, unsigned len) override {
    std::memcpy(bytes.data() + addr, src, len);
  }
  uint8_t* dmi_pointer() override { return dmi_ ? bytes.data() : nullptr; }

 private:
  void timed(bool is_write, uint64_t addr, unsigned len, sc_core::sc_time& delay) {
    log.push_back(Access{is_write, addr, len, sc_core::sc_time_stamp() + delay});
    delay += latency_;
  }

  sc_core::sc_time latency_;
  bool dmi_;
};

}  // namespace savp::models::test
