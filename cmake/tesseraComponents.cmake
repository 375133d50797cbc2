# tessera — cmake/tesseraComponents.cmake: the optional parts of tessera as CMake components.
#
# The core, tessera::tessera, needs Boost, OpenSSL, libxcrypt and threads, nothing more. Each
# optional part (Flyte configuration; later the SQLite, PostgreSQL and Redis stores) is a
# component: its own INTERFACE target tessera::<name> linking the core, its own dependencies,
# its own headers (include/tessera/<name>/ and include/tessera/<name>.hpp), its own export
# set. A consumer asks for it with find_package(tessera COMPONENTS <name>) and links
# tessera::<name>; only then is the component's dependency looked for (tesseraConfig.cmake.in).
#
# Adding a component is one call in CMakeLists.txt:
#
#   tessera_add_component(sqlite
#     PACKAGES "SQLite3 3.40"            # find_package arguments, one string per package; each
#                                        # also becomes a find_dependency in the package config
#     LINK_LIBRARIES SQLite::SQLite3)    # what the component's headers call into
#
# It defines the option TESSERA_WITH_<NAME> (DEFAULT, ON unless given), and when that is ON:
# finds the packages (REQUIRED: asking for a part and not getting it is an error), creates the
# target, and records the component for tessera_install_components().
#
# One export set per component, not one for all: the core's targets file never names a
# component's imported dependencies (SQLite::SQLite3), so loading the core never needs them,
# and a component that was not built simply has no file — nothing to mark as absent.
include_guard(GLOBAL)

function(tessera_add_component name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "DEFAULT" "PACKAGES;LINK_LIBRARIES")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "tessera_add_component(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT DEFINED arg_DEFAULT)
    set(arg_DEFAULT ON)
  endif()
  if(NOT EXISTS ${PROJECT_SOURCE_DIR}/include/tessera/${name}.hpp)
    message(FATAL_ERROR "tessera_add_component(${name}): include/tessera/${name}.hpp (its umbrella header) is missing")
  endif()
  set_property(GLOBAL APPEND PROPERTY TESSERA_KNOWN_COMPONENTS ${name})
  string(TOUPPER ${name} upper)
  option(TESSERA_WITH_${upper} "Build and install tessera's '${name}' component (tessera::${name})" ${arg_DEFAULT})
  if(NOT TESSERA_WITH_${upper})
    return()
  endif()

  foreach(package IN LISTS arg_PACKAGES)
    separate_arguments(package_args UNIX_COMMAND "${package}")
    find_package(${package_args} REQUIRED)
  endforeach()

  add_library(tessera_${name} INTERFACE)
  add_library(tessera::${name} ALIAS tessera_${name})
  set_target_properties(tessera_${name} PROPERTIES EXPORT_NAME ${name})
  target_link_libraries(tessera_${name} INTERFACE tessera::tessera ${arg_LINK_LIBRARIES})

  set_property(GLOBAL APPEND PROPERTY TESSERA_COMPONENTS ${name})
  set_property(GLOBAL PROPERTY TESSERA_COMPONENT_${name}_PACKAGES "${arg_PACKAGES}")
endfunction()

# The components built in this tree, in the order they were added.
function(tessera_components out)
  get_property(names GLOBAL PROPERTY TESSERA_COMPONENTS)
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

# Install rules of every component: its headers, its targets file, and the file the package
# config includes when the component is asked for (its find_dependency calls, then its
# targets). Call after the core's install rules, with the package's cmake directory.
function(tessera_install_components destination)
  tessera_components(names)
  foreach(name IN LISTS names)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tessera/${name}
            DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tessera OPTIONAL)
    install(FILES ${PROJECT_SOURCE_DIR}/include/tessera/${name}.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tessera)
    install(TARGETS tessera_${name} EXPORT tessera_${name}_targets)
    install(EXPORT tessera_${name}_targets NAMESPACE tessera:: FILE tessera-${name}-targets.cmake
            DESTINATION ${destination})

    get_property(packages GLOBAL PROPERTY TESSERA_COMPONENT_${name}_PACKAGES)
    set(TESSERA_COMPONENT_NAME ${name})
    set(TESSERA_COMPONENT_DEPENDENCIES "")
    foreach(package IN LISTS packages)
      string(APPEND TESSERA_COMPONENT_DEPENDENCIES "_tessera_component_dependency(${package})\n")
    endforeach()
    if(TESSERA_COMPONENT_DEPENDENCIES STREQUAL "")
      set(TESSERA_COMPONENT_DEPENDENCIES "# (no dependencies beyond the core's)\n")
    endif()
    configure_file(${PROJECT_SOURCE_DIR}/cmake/tesseraComponent.cmake.in
                   ${PROJECT_BINARY_DIR}/tessera-${name}-component.cmake @ONLY)
    install(FILES ${PROJECT_BINARY_DIR}/tessera-${name}-component.cmake DESTINATION ${destination})
  endforeach()
endfunction()

# A regular expression for the core's install(DIRECTORY include/tessera ... REGEX ... EXCLUDE):
# every component's header directory and umbrella header, built or switched off. A built
# component installs its own headers (tessera_install_components); one switched off installs
# none. Matches a directory's own path, which excludes what is inside it.
function(tessera_component_headers_regex out)
  get_property(names GLOBAL PROPERTY TESSERA_KNOWN_COMPONENTS)
  if(NOT names)
    set(${out} "^$" PARENT_SCOPE)  # matches no path
    return()
  endif()
  list(JOIN names "|" alternatives)
  set(${out} "/include/tessera/(${alternatives})(\\.hpp)?$" PARENT_SCOPE)
endfunction()
