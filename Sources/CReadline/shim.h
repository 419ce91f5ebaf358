// GNU readline and its history library, for the interactive shell only, plus the Ctrl-C glue
// that must run in a signal handler and touch readline's C state.
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <readline/readline.h>
#include <readline/history.h>

static volatile sig_atomic_t tinycast_interrupted = 0;
static volatile sig_atomic_t tinycast_reading = 0;

/* Ctrl-C: while a command runs, ask it to stop (it polls the flag and keeps what it has);
   at the prompt, discard the line being typed, say how to leave, and show a fresh prompt. */
static void tinycast_on_sigint(int sig) {
  (void)sig;
  if (tinycast_reading) {
    static const char notice[] = "^C (line discarded; type 'quit' or press Ctrl-D to leave)\n";
    ssize_t ignored = write(STDOUT_FILENO, notice, sizeof notice - 1);
    (void)ignored;
    rl_on_new_line();
    rl_replace_line("", 0);
    rl_redisplay();
  } else {
    tinycast_interrupted = 1;
  }
}

static inline void tinycast_install_interrupts(int with_readline) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = tinycast_on_sigint;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, NULL);
  /* A parent may have started us with signals blocked (the mask survives exec): Ctrl-C must
     reach the handler, and a hangup or kill must still end the shell. */
  sigset_t wanted;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGINT);
  sigaddset(&wanted, SIGHUP);
  sigaddset(&wanted, SIGTERM);
  sigaddset(&wanted, SIGQUIT);
  sigprocmask(SIG_UNBLOCK, &wanted, NULL);
  if (with_readline) rl_catch_signals = 0;
}
static inline char *tinycast_readline(const char *prompt) {
  tinycast_reading = 1;
  char *line = readline(prompt);
  tinycast_reading = 0;
  return line;
}
static inline int tinycast_interrupt_pending(void) { return tinycast_interrupted; }
static inline int tinycast_take_interrupt(void) { int v = tinycast_interrupted; tinycast_interrupted = 0; return v; }

/* Completion glue: Swift computes the candidates; these touch readline's globals. */
static inline void tinycast_install_completion(char **(*complete)(const char *, int, int)) {
  rl_attempted_completion_function = complete;
  rl_completion_append_character = ' ';
  /* Words break at white space only, so "key=val" completes as one word. */
  rl_basic_word_break_characters = (char *)" \t\n";
  rl_completer_word_break_characters = (char *)" \t\n";
}
static inline const char *tinycast_line_buffer(void) { return rl_line_buffer; }
static inline void tinycast_completion_handled(int handled) { rl_attempted_completion_over = handled; }
static inline void tinycast_no_space_after(void) { rl_completion_append_character = '\0'; }
static inline void tinycast_space_after(void) { rl_completion_append_character = ' '; }
