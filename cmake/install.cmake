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
install(TARGETS tandem_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(TANDEM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Tandem)
install(EXPORT TandemTargets NAMESPACE Tandem:: DESTINATION ${TANDEM_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/TandemConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/TandemConfig.cmake
                              INSTALL_DESTINATION ${TANDEM_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/TandemConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/TandemConfig.cmake ${CMAKE_BINARY_DIR}/TandemConfigVersion.cmake
        DESTINATION ${TANDEM_CMAKE_DIR})
configure_file(${CMAKE_CURRENT_LIST_DIR}/tandem.pc.in ${CMAKE_BINARY_DIR}/tandem.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/tandem.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
