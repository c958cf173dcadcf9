import { createContext, useCallback, useContext, useEffect, type RefObject } from "react";

/** Lets a screen take q/Esc for itself (close a pane) before the App pops the screen. */
export const BackContext = createContext<RefObject<(() => boolean) | undefined> | undefined>(undefined);

/** While `enabled`, q/Esc call `handler` instead of leaving the screen. */
export function useBackHandler(handler: () => boolean, enabled: boolean): void {
  const ref = useContext(BackContext);
  useEffect(() => {
    if (!ref || !enabled) return;
    ref.current = handler;
    return () => {
      if (ref.current === handler) ref.current = undefined;
    };
  }, [ref, handler, enabled]);
}

/** A pane whose q/Esc closes it: `onClose` as the back handler while `enabled`. */
export function useCloseOnBack(onClose: () => void, enabled: boolean): void {
  const back = useCallback(() => {
    onClose();
    return true;
  }, [onClose]);
  useBackHandler(back, enabled);
}
