#include <zmq.h>
#include <signal.h>
#include <string.h>

// Jupyter interrupts a kernel with SIGINT (interrupt_mode "signal"). The handler only sets a
// flag; Tinycast's long commands poll it and stop cleanly, keeping what they have.
static volatile sig_atomic_t native_kernel_interrupted = 0;
static void native_kernel_on_interrupt(int sig) { (void)sig; native_kernel_interrupted = 1; }
static inline void native_kernel_install_interrupts(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = native_kernel_on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, NULL);
}
static inline int native_kernel_interrupt_pending(void) { return native_kernel_interrupted; }
static inline void native_kernel_clear_interrupt(void) { native_kernel_interrupted = 0; }
