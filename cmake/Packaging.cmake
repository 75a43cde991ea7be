# Packaging.cmake - where an installed bounceseal goes, and how CPack makes
# the Debian 12 package of it (cpack -G DEB in a build directory).
#
# What it does: names the install directories that a plain prefix-relative
# path gets wrong on Debian (configuration under /etc even with prefix /usr,
# the systemd unit in /lib/systemd/system), provides
# bounceseal_install_conffile() for the configuration file, and sets the
# package's control fields, dependencies, maintainer scripts
# (packaging/debian/) and conffiles list. cpack refuses to package a build
# configured for another prefix or compiled with fault injection.
# What it does not: decide what is installed (the install() rules beside
# each target do), compress man pages or write a Debian changelog (this is
# a CPack package, not a debhelper one), or choose the build options: a
# package comes from its own build directory, configured with
#   -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr
#   -DBOUNCESEAL_TESTS=OFF -DBOUNCESEAL_FAULT_INJECTION=OFF
# Included from the top-level CMakeLists.txt before the subdirectories,
# since their install() rules use the directories named here.

# GNUInstallDirs maps prefix /usr to /etc only in the FULL variable. Using it
# only then keeps other prefixes relative, so that "cmake --install
# --prefix" moves the configuration along with everything else.
if(CMAKE_INSTALL_FULL_SYSCONFDIR STREQUAL "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}")
  set(BOUNCESEAL_CONFDIR ${CMAKE_INSTALL_SYSCONFDIR}/bounceseal)
else()
  set(BOUNCESEAL_CONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/bounceseal)
endif()

# Debian 12 ships units in /lib/systemd/system, not /usr/lib (dpkg does not
# know that the two are one directory on a merged-/usr system, so packages
# keep the old path until the move is complete; systemd.pc says so too).
# sysusers.d and tmpfiles.d have always been under /usr/lib there, which the
# prefix-relative default already gives.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(BOUNCESEAL_UNIT_ROOT "/")
else()
  set(BOUNCESEAL_UNIT_ROOT "")
endif()

# bounceseal_install_conffile(FILE DESTINATION): installs FILE into
# DESTINATION unless a file of that name is already there. An administrator
# who edited /etc/bounceseal/bounceseal.conf (Domain, Selector, KeyFile)
# would otherwise lose the edits to the next "cmake --install"; the package
# gets the same protection from dpkg's conffile handling, and its staging
# directory is always empty, so packages always carry the file.
function(bounceseal_install_conffile file destination)
  get_filename_component(src ${file} ABSOLUTE)
  get_filename_component(name ${file} NAME)
  if(IS_ABSOLUTE "${destination}")
    set(dir "${destination}")
  else()
    set(dir "\${CMAKE_INSTALL_PREFIX}/${destination}")
  endif()
  install(CODE "
    if(EXISTS \"\$ENV{DESTDIR}${dir}/${name}\")
      message(STATUS \"Keeping: \$ENV{DESTDIR}${dir}/${name} (not replaced)\")
    else()
      file(INSTALL DESTINATION \"${dir}\" TYPE FILE
           PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES \"${src}\")
    endif()")
endfunction()

# Debian Policy wants the licence as /usr/share/doc/PACKAGE/copyright.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)

set(BOUNCESEAL_PACKAGE_MAINTAINER "bounceseal maintainers <maintainers@bounceseal.invalid>"
    CACHE STRING "Maintainer field of the .deb (Name <address>)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bounceseal)
set(CPACK_PACKAGE_CONTACT ${BOUNCESEAL_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "seal outbound mail so that forged bounces can be discarded")
set(CPACK_PACKAGE_DESCRIPTION
"bounceseal-milter (sendmail, Postfix) adds a signed seal to every outbound
message; bounceseal-verify, run from procmail, checks the seal of the
original that a bounce returns, so that bounces of mail never sent from
here (backscatter) can be quarantined or discarded by proof, not guessing.
No database: a bounce carries everything needed to judge it.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_NAME bounceseal)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries come from dpkg-shlibdeps (dpkg-dev); the postinst needs
# one way of creating the system user, and the unit's ExecReload= runs
# /bin/kill (procps, which a minimal Debian does not have): both appended.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser | systemd, procps")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS procmail)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sendmail-bin | postfix")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm
  ${PROJECT_BINARY_DIR}/debian/conffiles)
# Written here, from the path the install rule uses, so the two cannot
# disagree (and because a conffiles list has no room for comments).
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/debian/conffiles
     CONTENT "${CMAKE_INSTALL_FULL_SYSCONFDIR}/bounceseal/bounceseal.conf\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Checked by cpack on the staged files, before the package is made: a
# milter that obeys BOUNCESEAL_FAULT must never ship; the build must have
# the prefix the unit's ExecStart= and the conffiles list assume; and
# without dpkg-shlibdeps CPack would quietly leave the libraries out of
# Depends.
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_BINARY_DIR}/CPackCheckStaged.cmake)
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/CPackCheckStaged.cmake @ONLY CONTENT [=[
# Generated by cmake/Packaging.cmake; cpack runs it on the staged files.
set(root "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
file(GLOB_RECURSE milter "${root}/*bounceseal-milter")
if(NOT milter)
  message(FATAL_ERROR "no bounceseal-milter among the staged files in ${root}")
endif()
# The variable's name is in the binary only where getenv() reads it: a
# string that ends with it (the linker may put another literal right before
# it without a NUL between, so it need not start the string).
file(STRINGS "${milter}" fault REGEX "BOUNCESEAL_FAULT$")
if(fault)
  message(FATAL_ERROR "bounceseal-milter was built with fault injection; "
    "package a build configured with -DBOUNCESEAL_FAULT_INJECTION=OFF")
endif()
if(CPACK_GENERATOR STREQUAL "DEB" AND NOT "@CMAKE_INSTALL_PREFIX@" STREQUAL "/usr")
  message(FATAL_ERROR "this build has CMAKE_INSTALL_PREFIX=@CMAKE_INSTALL_PREFIX@; "
    "a .deb needs a build configured with -DCMAKE_INSTALL_PREFIX=/usr")
endif()
file(GLOB_RECURSE internal "${root}/*bounceseal-config-docs*")
if(internal)
  message(FATAL_ERROR "internal helper staged for packaging: ${internal}")
endif()
if(CPACK_GENERATOR STREQUAL "DEB" AND CPACK_DEBIAN_PACKAGE_SHLIBDEPS)
  find_program(shlibdeps dpkg-shlibdeps)
  if(NOT shlibdeps)
    message(FATAL_ERROR "dpkg-shlibdeps (package dpkg-dev) is needed to fill in Depends")
  endif()
endif()
]=])

include(CPack)
