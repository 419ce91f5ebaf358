/* The HDF5 C library (Debian's libhdf5-dev), for reading Keras' weight files. Its type and
   property constants are macros that call into the library, which Swift cannot import; these
   functions return them. */
#include <hdf5.h>

static inline hid_t tc_h5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t tc_h5_c_string(void) { return H5T_C_S1; }
static inline unsigned tc_h5_read_only(void) { return H5F_ACC_RDONLY; }
static inline hid_t tc_h5_default(void) { return H5P_DEFAULT; }
static inline hid_t tc_h5_all(void) { return H5S_ALL; }
static inline size_t tc_h5_variable(void) { return H5T_VARIABLE; }
/* Silences the library's own printing of its error stack: a failure becomes a return value
   that Tinycast reports in one line. */
static inline void tc_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
