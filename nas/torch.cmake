# savp_nas (LibTorch): operators (ops/), quantization-aware network and its integer inference
# (quant/), export (export/), training (train/). Built only with -DSAVP_WITH_TORCH=ON.
find_package(Torch REQUIRED)
# find_package's imported targets (torch, torch_cpu, c10, ...) are local to this directory; the
# savp binary and the tests link savp_nas from elsewhere, so make them global.
get_property(_savp_torch_targets DIRECTORY PROPERTY IMPORTED_TARGETS)
foreach(_t IN LISTS _savp_torch_targets)
  set_target_properties(${_t} PROPERTIES IMPORTED_GLOBAL TRUE)
endforeach()
file(GLOB SAVP_NAS_SRC CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/ops/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/quant/*.cpp
     ${CMAKE_CURRENT_SOURCE_DIR}/export/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/train/*.cpp
     ${CMAKE_CURRENT_SOURCE_DIR}/supernet/*.cpp)
add_library(savp_nas STATIC ${SAVP_NAS_SRC})
target_link_libraries(savp_nas PUBLIC savp_nas_deploy savp_nas_data savp_nas_search savp_mapper savp_platform nlohmann_json::nlohmann_json
                      ${TORCH_LIBRARIES})
# LibTorch's headers trip -Wextra (unused parameters); they are system headers to us.
target_include_directories(savp_nas SYSTEM PUBLIC ${TORCH_INCLUDE_DIRS})
