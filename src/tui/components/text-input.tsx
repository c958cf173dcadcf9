import { Text, useInput } from "ink";

export interface TextInputProps {
  label: string;
  value: string;
  onChange(v: string): void;
  onSubmit(v: string): void;
  onCancel(): void;
  /** A password: each character drawn as `*`, the value never on screen. */
  mask?: boolean;
}

/** A one-line input: typing, Backspace, Enter submits, Esc cancels. It owns every key while shown. */
export function TextInput({ label, value, onChange, onSubmit, onCancel, mask }: TextInputProps) {
  useInput((input, key) => {
    if (key.return) onSubmit(value);
    else if (key.escape) onCancel();
    else if (key.backspace || key.delete) onChange(value.slice(0, -1));
    else if (!key.ctrl && !key.meta && input && !/[\u0000-\u001f]/.test(input)) onChange(value + input);
  });
  return (
    <Text>
      {label}
      <Text bold>{mask ? "*".repeat(value.length) : value}</Text>
      <Text inverse> </Text>
    </Text>
  );
}
