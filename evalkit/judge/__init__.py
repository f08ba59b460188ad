"""LLM judging for judged tasks (TouchStone, ``synth_dialogue``): the judge client with its reply
cache (``judge``, ``cache``), the TouchStone judge prompts (``touchstone``) and the judging step a
run takes after a judged task's answers are journaled (``step``).
"""

from evalkit.judge.judge import Judge, load_judge
from evalkit.judge.step import judge_task, judging_for, open_judge

__all__ = ["Judge", "judge_task", "judging_for", "load_judge", "open_judge"]
