-- For the evaluation's transaction only: JIT costs more than it saves on these statements, and
-- the ladder's hash joins want memory.
SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)
