/* sm-cli.h: the subcommands of smallmind-cli, one file each.  Each takes the arguments after
 * its name (argv[0] is the subcommand), prints errors itself and returns an exit status. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int sm_cli_bench_kernels (int argc, char **argv);
int sm_cli_bench_model   (int argc, char **argv);
int sm_cli_bench_roofline (int argc, char **argv);
int sm_cli_bench_tokenize (int argc, char **argv);
int sm_cli_generate      (int argc, char **argv);
int sm_cli_info          (int argc, char **argv);
int sm_cli_quantize      (int argc, char **argv);
int sm_cli_init          (int argc, char **argv);
int sm_cli_profile       (int argc, char **argv);
int sm_cli_compare       (int argc, char **argv);
int sm_cli_train         (int argc, char **argv);
int sm_cli_train_tokenizer (int argc, char **argv);
int sm_cli_make_corpus   (int argc, char **argv);
int sm_cli_tokenize      (int argc, char **argv);

G_END_DECLS
