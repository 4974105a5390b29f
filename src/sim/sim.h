/* hcwatch-sim: a local stand-in for Huawei Cloud. Each command is a file. */
#ifndef HCWATCH_SIM_SIM_H
#define HCWATCH_SIM_SIM_H

int sim_bind(int argc, char **argv);
int sim_metadata(int argc, char **argv);
int sim_serve(int argc, char **argv);

#endif
