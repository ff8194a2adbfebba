/** The server's field errors a form has no field for, listed where the form starts (else they would be lost). */
export function UnplacedErrors({ errors }: { errors: [string, string[]][] }) {
  if (!errors.length) return null;
  return (
    <ul className="field-error">
      {errors.map(([path, messages]) => (
        <li key={path}>{messages.join(" ")}</li>
      ))}
    </ul>
  );
}
