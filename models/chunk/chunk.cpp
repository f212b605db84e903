#include "models/chunk/chunk.hpp"

#include <fmt/format.h>

#include "common/errors.hpp"
#include "firmware/address_map.hpp"

namespace savp::models {

Chunk::Chunk(sc_core::sc_module_name name, const ChunkConfig& cfg, int index,
             sc_core::sc_time cycle, Sram& ibuf, Sram& wbuf, Sram& obuf)
    : sc_core::sc_module(name),
      dmi_port("dmi_port"),
      cfg_(cfg),
      index_(index),
      cycle_(cycle),
      ibuf_(ibuf),
      wbuf_(wbuf),
      obuf_(obuf) {}

chunk::BufferView Chunk::acquire_dmi(uint64_t base, uint64_t size) {
  tlm::tlm_generic_payload trans;
  tlm::tlm_dmi dmi;
  trans.set_address(base);
  trans.set_command(tlm::TLM_READ_COMMAND);
  if (!dmi_port->get_direct_mem_ptr(trans, dmi) || dmi.get_start_address() > base ||
      dmi.get_end_address() < base + size - 1)
    throw SimulationError(fmt::format("{}: no DMI to its buffer at {:#x}", cfg_.name, base));
  return chunk::BufferView{dmi.get_dmi_ptr() + (base - dmi.get_start_address()), size};
}

sc_core::sc_time Chunk::execute(const isa::Instruction& in, sc_core::sc_time start) {
  if (!have_dmi_) {
    bufs_.ibuf = acquire_dmi(amap::chunk_buffer_base(index_, amap::ChunkBuffer::Ibuf),
                             cfg_.ibuf.capacity_bytes);
    bufs_.wbuf = acquire_dmi(amap::chunk_buffer_base(index_, amap::ChunkBuffer::Wbuf),
                             cfg_.wbuf.capacity_bytes);
    bufs_.obuf = acquire_dmi(amap::chunk_buffer_base(index_, amap::ChunkBuffer::Obuf),
                             cfg_.obuf.capacity_bytes);
    have_dmi_ = true;
  }
  if (functional_)
    chunk::execute_tile(cfg_, in, bufs_);
  else
    chunk::check_tile(cfg_, in);
  chunk::TileCost cost = chunk::tile_cost(cfg_, in);

  ++stats_.instructions;
  stats_.busy_cycles += cost.cycles;
  stats_.vector_ops += cost.vector_ops;
  stats_.shadow_writes += cost.shadow_writes;
  // Only conv tiles step the PE array; pooling and adds run on the vector unit and are
  // accounted as vector_ops (tile_cost's pe_ops counts their element steps).
  const isa::ComputeOp op = in.compute_op();
  if (op == isa::ComputeOp::Conv || op == isa::ComputeOp::DwConv) {
    stats_.pe_ops += cost.pe_ops;
    stats_.pe_ops_by_bits[static_cast<int>(in.get(isa::kWBits))] += cost.pe_ops;
  }
  if (cost.decompress_weights > 0) {
    const uint64_t f = in.get(isa::kWFormat);
    if (f < 3) stats_.decompressed_weights[f] += cost.decompress_weights;
    stats_.decompress_cycles += cost.decompress_cycles;
    stats_.decompress_stall_cycles += cost.decompress_stall_cycles;
  }
  ibuf_.add_local_traffic(cost.ibuf_read_bytes, 0);
  wbuf_.add_local_traffic(cost.wbuf_read_bytes, 0);
  obuf_.add_local_traffic(cost.obuf_read_bytes, cost.obuf_write_bytes);

  sc_core::sc_time finish = start + cycle_ * static_cast<double>(cost.cycles);
  if (observer_) observer_(in, start, finish, cost);
  return finish;
}

}  // namespace savp::models
