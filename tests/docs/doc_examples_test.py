#!/usr/bin/env python3
"""Tests of doc_examples.py itself: a docs test that cannot fail would prove nothing."""
import os
import sys
import tempfile
import types
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doc_examples  # noqa: E402


def check(markdown):
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
        f.write(markdown)
    try:
        args = types.SimpleNamespace(bin_dir="/nonexistent", sdk_dir="/nonexistent",
                                     node_modules=None, env=[])
        return doc_examples.check_doc(args, f.name)
    finally:
        os.unlink(f.name)


class MatchesTest(unittest.TestCase):
    def test_exact_and_wildcards(self):
        self.assertTrue(doc_examples.matches("a\nb\n", "a\nb\n"))
        self.assertFalse(doc_examples.matches("a\nb\n", "a\nc\n"))
        self.assertFalse(doc_examples.matches("a\n", "a\nb\n"), "extra output lines fail")
        self.assertTrue(doc_examples.matches("id ...\n", "id 42\n"))
        self.assertFalse(doc_examples.matches("id ...!\n", "id 42\n"))
        self.assertTrue(doc_examples.matches("a\n...\nz\n", "a\nb\nc\nz\n"))
        self.assertTrue(doc_examples.matches("a\n...\nz\n", "a\nz\n"))
        self.assertFalse(doc_examples.matches("a\n...\nz\n", "a\nb\n"))
        self.assertTrue(doc_examples.matches("x (1.5)\n", "x (1.5)   \n"), "regex characters are literal")
        self.assertFalse(doc_examples.matches("x (1.5)\n", "x (1x5)\n"))


class CheckDocTest(unittest.TestCase):
    def test_a_block_without_a_directive_fails(self):
        failures = check("text\n\n```sh\necho hi\n```\n")
        self.assertEqual(len(failures), 1)
        self.assertIn("no <!-- test: ... --> directive", failures[0])

    def test_output_is_compared(self):
        ok = "<!-- test: run -->\n```sh\necho hello\n```\n<!-- test: output -->\n```text\nhello\n```\n"
        self.assertEqual(check(ok), [])
        bad = ok.replace("```text\nhello", "```text\ngoodbye")
        self.assertEqual(len(check(bad)), 1)

    def test_a_failing_command_fails(self):
        failures = check("<!-- test: run -->\n```sh\nfalse\necho never\n```\n")
        self.assertEqual(len(failures), 1)
        self.assertIn("exited with 1", failures[0])

    def test_files_cd_and_hidden_commands(self):
        doc = ("<!-- test: run -->\n```sh\nmkdir d && cd d\n```\n"
               "<!-- test: file f.txt -->\n```text\none\n```\n"
               "<!-- test: append f.txt -->\n```text\ntwo\n```\n"
               "<!-- test: hidden\ntest \"$(cat f.txt)\" = \"$(printf 'one\\ntwo')\"\n-->\n")
        self.assertEqual(check(doc), [])
        self.assertEqual(len(check(doc.replace("two\\n", "three\\n").replace("'one\\ntwo'", "'one\\nthree'x"))), 1)

    def test_indented_blocks_and_pipes_are_checked(self):
        self.assertEqual(len(check("- a list item:\n\n  ```sh\n  echo\n  ```\n")), 1)
        self.assertEqual(len(check("<!-- test: run -->\n```sh\nfalse | cat\n```\n")), 1)

    def test_hidden_commands_do_not_replace_the_output_shown(self):
        doc = ("<!-- test: run -->\n```sh\necho shown\n```\n"
               "<!-- test: hidden echo hidden -->\n"
               "<!-- test: output -->\n```text\nshown\n```\n")
        self.assertEqual(check(doc), [])

    def test_skip_needs_a_reason_and_directives_need_a_block(self):
        self.assertEqual(len(check("<!-- test: skip -->\n```sh\nrm -rf /\n```\n")), 1)
        self.assertEqual(check("<!-- test: skip installs packages -->\n```sh\nrm -rf /nope\n```\n"), [])
        self.assertEqual(len(check("<!-- test: run -->\nsome prose\n```sh\necho\n```\n")), 2)
        self.assertEqual(len(check("text\n<!-- test: run -->\n")), 1)


if __name__ == "__main__":
    unittest.main()
