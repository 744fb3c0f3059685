"""The integer codes the day arrays use for a call's status and direction and a queue
call's outcome, with the labels and hangup causes the database rows get."""

from __future__ import annotations

import numpy as np

STATUS = np.array(["answered", "no_answer", "busy", "failed", "voicemail", "abandoned", "congestion"],
                  dtype=object)
ANS, NOANS, BUSY, FAILED, VM, ABAND, CONGEST = range(7)
DIRS = np.array(["inbound", "outbound", "internal"], dtype=object)
HANGUP_CAUSE = np.array(["NORMAL_CLEARING", "ORIGINATOR_CANCEL", "USER_BUSY", "NORMAL_TEMPORARY_FAILURE",
                         "NORMAL_CLEARING", "ORIGINATOR_CANCEL", "SWITCH_CONGESTION"], dtype=object)
QUEUE_OUTCOMES = np.array(["answered", "abandoned", "timeout", "exit_key", "no_agents"], dtype=object)
Q_ANS, Q_ABAND, Q_TIMEOUT, Q_EXIT, Q_NOAGENTS = range(5)
