# `cmake --install build --prefix P`: headers, library, CMake package
# (find_package(Tandem) -> Tandem::tandem) and pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(tandem PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
                                        EXPORT_NAME tandem)
install(TARGETS tandem EXPORT TandemTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES include/tandem/tandem.h include/tandem/tandem.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tandem)
# Internal headers the public C++ header includes, under include/tandem/.
install(FILES graph/status.h graph/tensor.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tandem/graph)
install(FILES engine/host_tensor.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tandem/engine)
# Relative run paths: the installed tree works from any prefix and after a move.
if(TARGET tandem_cli)
  set_target_properties(tandem_cli PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
  install(TARGETS tandem_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
# The opencl module (shared builds) beside libtandem, where api/opencl_loader.cc looks first.
if(TARGET tandem_opencl AND TANDEM_SHARED)
  install(TARGETS tandem_opencl LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
# A static libtandem's private dependencies become the product's link dependencies:
# TandemConfig.cmake finds them (FindXNNPACK.cmake travels with the package).
if(NOT TANDEM_SHARED)
  install(FILES ${CMAKE_SOURCE_DIR}/third_party/cmake/FindXNNPACK.cmake
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Tandem)
endif()

set(TANDEM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Tandem)
install(EXPORT TandemTargets NAMESPACE Tandem:: DESTINATION ${TANDEM_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/TandemConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/TandemConfig.cmake
                              INSTALL_DESTINATION ${TANDEM_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/TandemConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/TandemConfig.cmake ${CMAKE_BINARY_DIR}/TandemConfigVersion.cmake
        DESTINATION ${TANDEM_CMAKE_DIR})
# pkg-config --static: what a static libtandem needs after it on the link line.
set(TANDEM_PC_LIBS_PRIVATE "")
if(NOT TANDEM_SHARED)
  if(TANDEM_WITH_OPENCL)
    string(APPEND TANDEM_PC_LIBS_PRIVATE " -lclblast -lOpenCL")
  endif()
  if(TANDEM_WITH_XNNPACK)
    string(APPEND TANDEM_PC_LIBS_PRIVATE " -lXNNPACK -lpthreadpool -lcpuinfo")
  endif()
  string(APPEND TANDEM_PC_LIBS_PRIVATE " -lstdc++ -lm -ldl -pthread")
endif()
# tandem.pc finds its prefix from where it lies (--prefix P at install time, or a moved tree).
file(RELATIVE_PATH TANDEM_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" TANDEM_PC_TO_PREFIX "${TANDEM_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/tandem.pc.in ${CMAKE_BINARY_DIR}/tandem.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/tandem.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
